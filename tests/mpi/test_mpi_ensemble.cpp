// Distributed ensembles (sdekit::mpi) under mpirun with 1, 2, 3 and 4 processes: every result is compared bit for bit
// with the plain single-process call (1 and 2 threads) that each process also runs. Registered with CTest once per
// process count (tests/CMakeLists.txt); each process runs every test case, and the exit code is non-zero if any
// process failed a check.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <sdekit/diffusion.hpp>
#include <sdekit/discrete.hpp>
#include <sdekit/ensemble.hpp>
#include <sdekit/mpi.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>
#ifdef SDEKIT_TEST_FORECAST
#include <sdekit/forecast.hpp>
#endif

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using sdekit::Collect;
using sdekit::mpi::Balance;
using sdekit::mpi::ClusterOptions;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int p = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }
bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(double)) == 0;
}
template <class X>
bool same_state(const X& a, const X& b) {
  if (sdekit::state_size(a) != sdekit::state_size(b)) return false;
  for (std::size_t c = 0; c < sdekit::state_size(a); ++c)
    if (!same_bits(sdekit::component(a, c), sdekit::component(b, c))) return false;
  return true;
}

// Statistics, failures and kept paths equal bit for bit (these are on every process whatever Collect says).
template <class X>
void check_same_summary(const sdekit::EnsembleResult<X>& got, const sdekit::EnsembleResult<X>& want) {
  REQUIRE(got.statistics.size() == want.statistics.size());
  for (std::size_t s = 0; s < want.statistics.size(); ++s) {
    const auto& a = got.statistics[s];
    const auto& b = want.statistics[s];
    INFO("save " << s);
    CHECK(same_bits(a.time, b.time));
    CHECK(a.alive == b.alive);
    CHECK(same_bits(a.mean, b.mean));
    CHECK(same_bits(a.covariance, b.covariance));
    CHECK(same_bits(a.variance, b.variance));
    CHECK(same_bits(a.min, b.min));
    CHECK(same_bits(a.max, b.max));
    // The statistics requested in options.statistics (issue 19) travel in the same tree nodes.
    REQUIRE(a.histograms.size() == b.histograms.size());
    for (std::size_t h = 0; h < b.histograms.size(); ++h) {
      CHECK(a.histograms[h].counts == b.histograms[h].counts);
      CHECK(a.histograms[h].below == b.histograms[h].below);
      CHECK(a.histograms[h].above == b.histograms[h].above);
    }
    REQUIRE(a.reductions.size() == b.reductions.size());
    for (std::size_t r = 0; r < b.reductions.size(); ++r) {
      CHECK(a.reductions[r].name == b.reductions[r].name);
      CHECK(a.reductions[r].count == b.reductions[r].count);
      CHECK(same_bits(a.reductions[r].mean, b.reductions[r].mean));
      CHECK(same_bits(a.reductions[r].variance, b.reductions[r].variance));
      CHECK(same_bits(a.reductions[r].min, b.reductions[r].min));
      CHECK(same_bits(a.reductions[r].max, b.reductions[r].max));
    }
    REQUIRE(a.quantiles.size() == b.quantiles.size());
    for (std::size_t q = 0; q < b.quantiles.size(); ++q) CHECK(same_bits(a.quantiles[q], b.quantiles[q]));
  }
  REQUIRE(got.failures.size() == want.failures.size());
  for (std::size_t i = 0; i < want.failures.size(); ++i) {
    CHECK(got.failures[i].index == want.failures[i].index);
    CHECK(same_bits(got.failures[i].time, want.failures[i].time));
    CHECK(same_state(got.failures[i].last_state, want.failures[i].last_state));
    CHECK(got.failures[i].reason == want.failures[i].reason);
  }
  REQUIRE(got.paths.size() == want.paths.size());
  for (std::size_t i = 0; i < want.paths.size(); ++i) {
    CHECK(got.paths[i].index == want.paths[i].index);
    REQUIRE(got.paths[i].times.size() == want.paths[i].times.size());
    for (std::size_t k = 0; k < want.paths[i].times.size(); ++k) {
      CHECK(same_bits(got.paths[i].times[k], want.paths[i].times[k]));
      CHECK(same_state(got.paths[i].states[k], want.paths[i].states[k]));
    }
  }
}

// The whole result, values included, where this process should hold them.
template <class X>
void check_same(const sdekit::EnsembleResult<X>& got, const sdekit::EnsembleResult<X>& want, Collect collect,
                int root = 0) {
  check_same_summary(got, want);
  REQUIRE(got.values.size() == want.values.size());
  if (collect == Collect::all || (collect == Collect::root && world_rank() == root) || world_size() == 1) {
    CHECK(got.holds_all_values());
    for (std::size_t s = 0; s < want.values.size(); ++s) CHECK(same_bits(got.values[s], want.values[s]));
  } else if (collect == Collect::root) {
    CHECK(!got.holds_all_values());
    for (const auto& v : got.values) CHECK(v.cols() == 0);
  } else {  // local: this process's columns are the single-process run's columns of its particles
    for (std::size_t s = 0; s < want.values.size(); ++s) {
      Eigen::Index at = 0;
      for (const auto& range : got.value_ranges) {
        const auto n = static_cast<Eigen::Index>(range.end - range.begin);
        CHECK(same_bits(Eigen::MatrixXd(got.values[s].middleCols(at, n)),
                        Eigen::MatrixXd(want.values[s].middleCols(static_cast<Eigen::Index>(range.begin), n))));
        at += n;
      }
      CHECK(at == got.values[s].cols());
    }
    // Every particle ran on exactly one process (not each process running all of them, DiffEqBase #495).
    long long held = got.values.front().cols(), total = 0;
    MPI_Allreduce(&held, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    CHECK(total == static_cast<long long>(want.particles));
  }
}

// 2-D Ornstein–Uhlenbeck-like SDE with diagonal multiplicative noise; particles 4096 … 8191 (with static segments of
// 4096, segment 1, so all on process 1) get a drift that blows up, so they fail at different times.
auto blowing_problem() {
  return sdekit::per_particle([](std::size_t i) {
    const double growth = (i >= 4096 && i < 8192) ? 40.0 + static_cast<double>(i % 7) : 0.0;
    auto drift = [growth](const Eigen::Vector2d& x, double) -> Eigen::Vector2d {
      return Eigen::Vector2d(-x[0] + growth * x[0] * x[0] * x[0], 0.5 * (x[0] - x[1]));
    };
    auto diffusion = [](const Eigen::Vector2d& x, double) -> Eigen::Vector2d {
      return Eigen::Vector2d(0.3 + 0.1 * std::abs(x[1]), 0.2 + 0.1 * std::abs(x[0]));
    };
    return sdekit::make_sde(drift, diffusion);
  });
}

sdekit::EnsembleOptions sde_options() {
  sdekit::EnsembleOptions o;
  o.particles = 3 * 4096 + 1234;  // segments of 1024 or 4096 particles, the last one short
  o.seed = 20261129;
  o.t0 = 0;
  o.t1 = 1;
  o.dt = 0.02;
  o.save_times = {0.0, 0.5, 1.0};
  o.keep_paths = {3, 5000, 13000, 3};
  o.block_size = 100;  // does not divide the segments: blocks are cut at segment ends, results do not change
  return o;
}

}  // namespace

TEST_CASE("SDE ensemble: statistics, failures, paths and values equal the single-process run bit for bit") {
  const auto problem = blowing_problem();
  const sdekit::EulerMaruyama em;
  const Eigen::Vector2d x0(0.5, -0.2);
  sdekit::EnsembleOptions plain = sde_options();
  plain.threads = 1;
  const auto one_thread = sdekit::simulate_ensemble(em, problem, x0, plain);
  plain.threads = 2;
  plain.block_size = 64;
  const auto two_threads = sdekit::simulate_ensemble(em, problem, x0, plain);
  check_same(two_threads, one_thread, Collect::all);
  REQUIRE(!one_thread.failures.empty());  // the test has failures to compare
  CHECK(one_thread.failures.front().index >= 4096);
  CHECK(one_thread.failures.back().index < 8192);

  for (const Collect collect : {Collect::root, Collect::all, Collect::local})
    for (const Balance balance : {Balance::static_segments, Balance::dynamic_segments})
      for (const int threads : {1, 2}) {
        CAPTURE(static_cast<int>(collect));
        CAPTURE(static_cast<int>(balance));
        CAPTURE(threads);
        sdekit::EnsembleOptions o = sde_options();
        o.threads = threads;
        ClusterOptions c;
        c.collect = collect;
        c.balance = balance;
        c.root = world_size() - 1;  // not always rank 0
        // Static: the failing particles are one segment, run by one process; dynamic: segments of one chunk.
        if (balance == Balance::static_segments) c.segment_particles = 4096;
        o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
        const auto got = sdekit::simulate_ensemble(em, problem, x0, o);
        check_same(got, one_thread, collect, c.root);
      }
}

TEST_CASE("Requested statistics (histograms, reductions, quantiles) equal the single-process run bit for bit") {
  const auto problem = blowing_problem();
  const sdekit::EulerMaruyama em;
  const Eigen::Vector2d x0(0.5, -0.2);
  sdekit::EnsembleOptions plain = sde_options();
  plain.statistics.histograms = {{0, 30, -1.5, 1.5}, {1, 7, -0.5, 0.5}};
  plain.statistics.reductions = {{"x0 > 0.8", [](std::span<const double> x) { return x[0] > 0.8 ? 1.0 : 0.0; }},
                                 {"x0 x1", [](std::span<const double> x) { return x[0] * x[1]; }}};
  plain.threads = 1;
  const auto want = sdekit::simulate_ensemble(em, problem, x0, plain);
  // The single-process statistics-only run agrees too (one leaf size and one tree for every mode).
  sdekit::EnsembleOptions only = plain;
  only.statistics.storage = sdekit::Storage::statistics_only;
  only.threads = 2;
  check_same_summary(sdekit::simulate_ensemble(em, problem, x0, only), want);

  for (const Collect collect : {Collect::all, Collect::local})
    for (const Balance balance : {Balance::static_segments, Balance::dynamic_segments}) {
      CAPTURE(static_cast<int>(collect));
      CAPTURE(static_cast<int>(balance));
      sdekit::EnsembleOptions o = plain;
      o.threads = 2;
      ClusterOptions c;
      c.collect = collect;
      c.balance = balance;
      o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
      check_same(sdekit::simulate_ensemble(em, problem, x0, o), want, collect);
    }

  // Quantiles need every value on every process: with Collect::all they are the single-process ones.
  sdekit::EnsembleOptions q = plain;
  q.statistics.quantiles = {{0, 0.05}, {1, 0.5}, {0, 0.975}};
  const auto want_q = sdekit::simulate_ensemble(em, problem, x0, q);
  ClusterOptions c;
  c.collect = Collect::all;
  q.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  check_same(sdekit::simulate_ensemble(em, problem, x0, q), want_q, Collect::all);
  // Refused on every process alike, before anything runs (so none waits for the others).
  c.collect = Collect::local;
  q.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  CHECK_THROWS_AS((void)sdekit::simulate_ensemble(em, problem, x0, q), std::invalid_argument);
}

TEST_CASE("statistics only across processes: statistics, exact quantiles, failures and paths equal one process") {
  const auto problem = blowing_problem();
  const sdekit::EulerMaruyama em;
  const Eigen::Vector2d x0(0.5, -0.2);
  sdekit::EnsembleOptions plain = sde_options();
  plain.statistics.histograms = {{0, 30, -1.5, 1.5}};
  plain.statistics.reductions = {{"x0 > 0.8", [](std::span<const double> x) { return x[0] > 0.8 ? 1.0 : 0.0; }}};
  plain.statistics.quantiles = {{0, 0.05}, {1, 0.5}, {0, 0.975}};
  plain.threads = 1;
  const auto want = sdekit::simulate_ensemble(em, problem, x0, plain);  // stored states, one process
  sdekit::EnsembleOptions only = plain;
  only.statistics.storage = sdekit::Storage::statistics_only;
  only.statistics.quantile_capacity = 500;  // several narrowing passes, each reduced across the processes
  for (const Balance balance : {Balance::static_segments, Balance::dynamic_segments})
    for (const int threads : {1, 2}) {
      CAPTURE(static_cast<int>(balance));
      CAPTURE(threads);
      ClusterOptions c;
      c.balance = balance;
      c.collect = Collect::local;  // statistics only keeps no columns, so any Collect does
      only.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
      only.threads = threads;
      std::vector<double> reported;
      only.progress = [&](double f) { reported.push_back(f); };
      const auto got = sdekit::simulate_ensemble(em, problem, x0, only);
      CHECK(got.statistics_only);
      CHECK(got.values.empty());
      CHECK(got.passes > 2);
      check_same_summary(got, want);
      REQUIRE(!reported.empty());
      CHECK(std::is_sorted(reported.begin(), reported.end()));
      CHECK(reported.back() == 1.0);
    }

  // Storage::automatic keeps statistics only when stored states could not answer the quantiles (no Collect::all).
  sdekit::EnsembleOptions automatic = plain;
  automatic.statistics.storage = sdekit::Storage::automatic;
  automatic.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, ClusterOptions{});
  const auto chosen = sdekit::simulate_ensemble(em, problem, x0, automatic);
  CHECK(chosen.statistics_only);
  check_same_summary(chosen, want);
}

TEST_CASE("Larger segments, a sampled initial state and Milstein: still the same bits") {
  auto gbm = sdekit::make_sde([](double x, double) { return 0.05 * x; }, [](double x, double) { return 0.4 * x; });
  auto x0 = [](std::size_t, sdekit::RandomStream& rng) { return std::exp(0.1 * rng.normal()); };
  sdekit::EnsembleOptions o;
  o.particles = 40000;
  o.seed = 7;
  o.dt = 0.05;
  o.save_times = {0.25, 1.0};
  o.threads = 2;
  const sdekit::Milstein milstein;
  const auto want = sdekit::simulate_ensemble(milstein, gbm, x0, o);
  ClusterOptions c;
  c.segment_particles = 10000;  // rounded up to 16384 = 16 chunks: three segments, merged as nodes of the tree
  c.collect = Collect::local;
  o.threads = 1;
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  const auto got = sdekit::simulate_ensemble(milstein, gbm, x0, o);
  check_same(got, want, Collect::local);

  SUBCASE("exact quantiles and histograms from the distributed columns") {
    const std::vector<double> qs{0.0, 0.001, 0.025, 0.25, 0.5, 0.5 + 1e-9, 0.975, 1.0};
    for (std::size_t save = 0; save < 2; ++save) {
      const std::vector<double> dist = sdekit::mpi::quantiles(MPI_COMM_WORLD, got, save, 0, qs);
      for (std::size_t k = 0; k < qs.size(); ++k) {
        CAPTURE(qs[k]);
        CHECK(same_bits(dist[k], want.quantile(save, 0, qs[k])));
      }
      CHECK(same_bits(sdekit::mpi::quantile(MPI_COMM_WORLD, got, save, 0, 0.9), want.quantile(save, 0, 0.9)));
      const sdekit::Histogram h = sdekit::mpi::histogram(MPI_COMM_WORLD, got, save, 0, 40, 0.5, 2.0);
      const sdekit::Histogram w = want.histogram(save, 0, 40, 0.5, 2.0);
      CHECK(h.counts == w.counts);
      CHECK(h.below == w.below);
      CHECK(h.above == w.above);
    }
  }
  SUBCASE("a process holding only its own columns refuses single-process statistics") {
    if (world_size() > 1) CHECK_THROWS_AS(got.quantile(0, 0, 0.5), std::invalid_argument);
  }
}

TEST_CASE("distributed selection equals sdekit::quantiles on uneven, tied data") {
  // Each process holds a different amount; values are rounded so there are many ties (the pivot's equal range).
  const int rank = world_rank(), size = world_size();
  sdekit::RandomStream rng(99, 0, 0);
  std::vector<double> all, mine;
  for (std::size_t i = 0; i < 30000; ++i) {
    const double v = std::round(20.0 * rng.normal()) / 4.0;
    all.push_back(i % 97 == 0 ? std::nan("") : v);
    // Process r takes a share that grows with r; process 0 may take nothing when there are several.
    const std::size_t owner = (i * i) % static_cast<std::size_t>(size * (size + 1) / 2);
    std::size_t r = 0, acc = 0;
    while (acc + r + 1 <= owner) acc += ++r;
    if (static_cast<int>(r) == rank) mine.push_back(all.back());
  }
  const std::vector<double> qs{0.0, 0.1, 0.3333, 0.5, 0.75, 0.999, 1.0};
  const auto got = sdekit::mpi::quantiles(MPI_COMM_WORLD, mine, qs);
  const auto want = sdekit::quantiles(all, qs);
  for (std::size_t k = 0; k < qs.size(); ++k) CHECK(same_bits(got[k], want[k]));
  // Two values, 10000 zeros and 10001 ones: the median is the first 1, the pivot's own first rank.
  std::vector<double> two_values;
  for (std::size_t i = static_cast<std::size_t>(rank); i < 20001; i += static_cast<std::size_t>(size))
    two_values.push_back(i < 10000 ? 0.0 : 1.0);
  CHECK(sdekit::mpi::quantiles(MPI_COMM_WORLD, two_values, std::vector<double>{0.5}).front() == 1.0);
  CHECK(sdekit::mpi::quantiles(MPI_COMM_WORLD, two_values, std::vector<double>{0.49995}).front() == 0.0);
  CHECK_THROWS_WITH_AS(sdekit::mpi::quantiles(MPI_COMM_WORLD, mine, std::vector<double>{1.5}),
                       doctest::Contains("sdekit::mpi::quantiles: q = 1.5"), std::invalid_argument);
}

TEST_CASE("SSA and tau-leaping ensembles, dynamic segments: the same bits") {
  const auto network =
      sdekit::make_reaction_network({"X"}, {10.0}, sdekit::reaction("birth", "-> X", sdekit::mass_action(5.0)),
                                    sdekit::reaction("death", "X ->", sdekit::mass_action(0.2)));
  sdekit::JumpOptions o;
  o.particles = 9000;
  o.seed = 3;
  o.t1 = 10;
  o.observe_dt = 2.5;
  o.threads = 2;
  const auto want = sdekit::simulate_ssa(network, o);
  const auto want_tau = sdekit::simulate_tau_leaping(network, o);
  ClusterOptions c;
  c.collect = Collect::all;
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  o.threads = 1;
  check_same(sdekit::simulate_ssa(network, o), want, Collect::all);
  check_same(sdekit::simulate_tau_leaping(network, o), want_tau, Collect::all);
  // Statistics only, with an exact median of the counts: the same bits as the stored single-process run.
  o.statistics.storage = sdekit::Storage::statistics_only;
  o.statistics.quantiles = {{0, 0.5}};
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, ClusterOptions{});
  sdekit::JumpOptions stored = o;
  stored.distribution = nullptr;
  stored.statistics.storage = sdekit::Storage::states;
  check_same_summary(sdekit::simulate_ssa(network, o), sdekit::simulate_ssa(network, stored));
}

TEST_CASE("controlled SSA, dynamic segments: the same bits, every run's end on every process, progress to 1") {
  // Lotka-Volterra with an event cap and an extinction stop: runs end by all three outcomes.
  const auto network = sdekit::make_reaction_network(
      {"prey", "predator"}, {50.0, 50.0}, sdekit::reaction("birth", "prey -> 2 prey", sdekit::mass_action(1.0)),
      sdekit::reaction("predation", "prey + predator -> 2 predator", sdekit::mass_action(0.01)),
      sdekit::reaction("death", "predator -> 0", sdekit::mass_action(1.0)));
  const auto control = sdekit::stop_when([](const auto& x) { return x[1] == 0; }, 20000);
  sdekit::JumpOptions o;
  o.particles = 3000;
  o.seed = 4;
  o.t1 = 15;
  o.observe_dt = 5;
  o.threads = 2;
  const auto want = sdekit::simulate_ssa(network, o, control);
  ClusterOptions c;
  c.collect = Collect::all;
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  o.threads = 1;
  std::vector<double> seen;
  o.progress = [&](double f) { seen.push_back(f); };
  const auto got = sdekit::simulate_ssa(network, o, control);
  check_same(got, want, Collect::all);
  REQUIRE(got.ends.size() == want.ends.size());
  bool same_ends = true;
  for (std::size_t i = 0; i < got.ends.size(); ++i)
    same_ends = same_ends && got.ends[i].outcome == want.ends[i].outcome &&
                same_bits(got.ends[i].time, want.ends[i].time) && got.ends[i].events == want.ends[i].events;
  CHECK(same_ends);
  CHECK(got.outcome_counts == want.outcome_counts);
  REQUIRE(!seen.empty());
  CHECK(seen.back() == 1.0);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
}

TEST_CASE("reverse-SDE sampler: samples and score-evaluation counts equal the single-process run") {
  const sdekit::VpSde<> vp;
  const Eigen::Vector2d mean(1.0, -1.0);
  Eigen::Matrix2d cov;
  cov << 1.0, 0.3, 0.3, 0.5;
  const sdekit::GaussianScore<sdekit::VpSde<>, 2> score(vp, mean, cov);
  sdekit::ReverseSampleOptions o;
  o.particles = 5000;
  o.seed = 17;
  o.steps = 40;
  o.threads = 2;
  const auto prior = vp.prior_sampler<Eigen::Vector2d>();
  const auto want = sdekit::sample_reverse_sde(vp, score, prior, o);
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, {});
  o.threads = 1;
  const auto got = sdekit::sample_reverse_sde(vp, score, prior, o);
  check_same(got.ensemble, want.ensemble, Collect::root);
  CHECK(got.score_evaluations == want.score_evaluations);
  CHECK(want.score_evaluations == o.particles * o.steps);
}

TEST_CASE("DDPM and DDIM samplers: samples and score-evaluation counts equal the single-process run") {
  const sdekit::DdpmSchedule q = sdekit::linear_beta_schedule(200);
  using M1 = Eigen::Matrix<double, 1, 1>;
  const sdekit::GaussianScore<sdekit::DdpmSchedule, 1> score(q, M1(1.5), M1(0.25));
  const auto eps = sdekit::noise_predictor_from_score(score, q);
  auto prior = [](std::size_t, sdekit::RandomStream& rng) { return rng.normal(); };
  sdekit::ReverseSampleOptions o;
  o.particles = 3000;
  o.seed = 21;
  o.steps = 200;
  o.threads = 2;
  const auto want_ddpm = sdekit::sample_ddpm(q, eps, prior, o);
  const auto want_ddim = sdekit::sample_ddim(q, eps, prior, o);
  sdekit::mpi::ClusterOptions c;
  c.collect = Collect::all;
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  o.threads = 1;
  const auto got_ddpm = sdekit::sample_ddpm(q, eps, prior, o);
  const auto got_ddim = sdekit::sample_ddim(q, eps, prior, o);
  check_same(got_ddpm.ensemble, want_ddpm.ensemble, Collect::all);
  check_same(got_ddim.ensemble, want_ddim.ensemble, Collect::all);
  CHECK(got_ddpm.score_evaluations == want_ddpm.score_evaluations);
  CHECK(got_ddim.score_evaluations == want_ddim.score_evaluations);
  CHECK(want_ddpm.score_evaluations == o.particles * 200);
}

TEST_CASE("Markov-chain hitting times: every process gets every particle's time, the same bits") {
  Eigen::Matrix3d p;
  p << 0.5, 0.5, 0.0, 0.3, 0.4, 0.3, 0.0, 0.0, 1.0;
  const sdekit::MarkovChain chain(p);
  sdekit::EnsembleOptions o;
  o.particles = 6000;
  o.seed = 5;
  o.threads = 2;
  const std::vector<double> want = sdekit::simulate_hitting_times(chain, 0.0, {2}, 200, o);
  sdekit::mpi::ClusterOptions c;
  c.collect = Collect::local;  // the function collects every particle itself
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  o.threads = 1;
  const std::vector<double> got = sdekit::simulate_hitting_times(chain, 0.0, {2}, 200, o);
  REQUIRE(got.size() == want.size());
  CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(double)) == 0);
}

#ifdef SDEKIT_TEST_FORECAST
TEST_CASE("forecast ensembles: the same bands on every process as in one process") {
  sdekit::FitResult fit;
  std::vector<double> t, x;
  sdekit::RandomStream rng(1, 0, 0);
  double v = 0.0;
  for (int i = 0; i < 200; ++i) {
    t.push_back(i);
    x.push_back(v);
    v = 0.8 * v + 0.5 * rng.normal();
  }
  fit = sdekit::fit_ornstein_uhlenbeck(t, x);
  sdekit::ForecastOptions o;
  o.particles = 9000;
  o.seed = 8;
  o.threads = 2;
  const std::vector<double> horizons{1, 5, 10};
  const sdekit::Forecast want = sdekit::forecast(fit, 199, x.back(), horizons, o);
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, {});  // Collect::root: forecasts collect all anyway
  o.threads = 1;
  const sdekit::Forecast got = sdekit::forecast(fit, 199, x.back(), horizons, o);
  REQUIRE(got.points.size() == want.points.size());
  for (std::size_t k = 0; k < want.points.size(); ++k) {
    CHECK(same_bits(got.points[k].mean, want.points[k].mean));
    CHECK(same_bits(got.points[k].sd, want.points[k].sd));
    CHECK(same_bits(got.points[k].median, want.points[k].median));
    for (std::size_t l = 0; l < want.points[k].lower.size(); ++l) {
      CHECK(same_bits(got.points[k].lower[l], want.points[k].lower[l]));
      CHECK(same_bits(got.points[k].upper[l], want.points[k].upper[l]));
    }
  }
}
#endif

TEST_CASE("progress on every process reaches 1, increasing, and counts all processes' particles") {
  auto ou = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  sdekit::EnsembleOptions o;
  o.particles = 20000;
  o.dt = 0.05;
  o.threads = 1;
  std::vector<double> seen;
  o.progress = [&](double f) { seen.push_back(f); };
  ClusterOptions c;
  c.segment_particles = 4096;
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o);
  REQUIRE(!seen.empty());
  CHECK(seen.back() == 1.0);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen.front() > 0.0);
  // The final 1 comes only once every process has finished (it follows the collective end of the run), and the
  // statistics count every particle.
  CHECK(r.statistics.back().alive == o.particles);
}

TEST_CASE("a progress callback that throws on one process stops every process with an exception, no hang") {
  auto ou = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  sdekit::EnsembleOptions o;
  o.particles = 20000;
  o.dt = 0.05;
  o.threads = 1;
  const int thrower = world_size() - 1;
  o.progress = [&](double) {
    if (world_rank() == thrower) throw std::runtime_error("cancelled");
  };
  ClusterOptions c;
  c.balance = Balance::static_segments;
  o.distribution = sdekit::mpi::make_cluster(MPI_COMM_WORLD, c);
  if (world_rank() == thrower)
    CHECK_THROWS_WITH(sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o), "cancelled");
  else
    CHECK_THROWS_WITH(sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o),
                      doctest::Contains("another process"));
}

TEST_CASE("bad cluster options name the argument") {
  ClusterOptions c;
  c.root = world_size();
  const std::string expected = "sdekit::mpi::Cluster: root = " + std::to_string(world_size());
  CHECK_THROWS_WITH_AS(sdekit::mpi::make_cluster(MPI_COMM_WORLD, c), doctest::Contains(expected.c_str()),
                       std::invalid_argument);
  c.root = 0;
  c.segments_per_process = 0;
  CHECK_THROWS_WITH_AS(sdekit::mpi::make_cluster(MPI_COMM_WORLD, c), doctest::Contains("segments_per_process = 0"),
                       std::invalid_argument);
}

int main(int argc, char** argv) {
  sdekit::mpi::Session session(&argc, &argv);
  doctest::Context context(argc, argv);
  if (session.rank() != 0) context.setOption("minimal", true);  // one full report, from rank 0
  const int failed = context.run() != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}
