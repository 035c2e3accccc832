// Statistics-only ensembles: the statistics (moments, histograms, reductions, exact quantiles by re-simulation)
// equal the stored-state ones bit for bit on an SDE, an SSA and a diffusion-sampler workload for threads 1, 2, 3
// and block sizes 1, 7, 256; the merge tree's subtrees (the base for reductions across processes); a reduction's
// mean and standard error against an exact probability; automatic storage; progress; option errors.
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/discrete/reaction_network.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }
bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

// Every statistic of two runs, bit for bit (the states themselves only exist in the stored run).
template <class X>
void check_same_statistics(const sdekit::EnsembleResult<X>& stored, const sdekit::EnsembleResult<X>& streamed) {
  REQUIRE(stored.statistics.size() == streamed.statistics.size());
  for (std::size_t s = 0; s < stored.statistics.size(); ++s) {
    CAPTURE(s);
    const auto &a = stored.statistics[s], &b = streamed.statistics[s];
    CHECK(a.alive == b.alive);
    CHECK(same_bits(a.time, b.time));
    CHECK(same_bits(a.mean, b.mean));
    CHECK(same_bits(a.covariance, b.covariance));
    CHECK(same_bits(a.variance, b.variance));
    CHECK(same_bits(a.min, b.min));
    CHECK(same_bits(a.max, b.max));
    REQUIRE(a.histograms.size() == b.histograms.size());
    for (std::size_t h = 0; h < a.histograms.size(); ++h) {
      CHECK(a.histograms[h].counts == b.histograms[h].counts);
      CHECK(a.histograms[h].below == b.histograms[h].below);
      CHECK(a.histograms[h].above == b.histograms[h].above);
    }
    REQUIRE(a.reductions.size() == b.reductions.size());
    for (std::size_t r = 0; r < a.reductions.size(); ++r) {
      CHECK(a.reductions[r].name == b.reductions[r].name);
      CHECK(a.reductions[r].count == b.reductions[r].count);
      CHECK(same_bits(a.reductions[r].mean, b.reductions[r].mean));
      CHECK(same_bits(a.reductions[r].variance, b.reductions[r].variance));
      CHECK(same_bits(a.reductions[r].standard_error, b.reductions[r].standard_error));
      CHECK(same_bits(a.reductions[r].min, b.reductions[r].min));
      CHECK(same_bits(a.reductions[r].max, b.reductions[r].max));
    }
    REQUIRE(a.quantiles.size() == b.quantiles.size());
    for (std::size_t q = 0; q < a.quantiles.size(); ++q) {
      CAPTURE(q);
      CHECK(same_bits(a.quantiles[q], b.quantiles[q]));
    }
  }
  REQUIRE(stored.failures.size() == streamed.failures.size());
  for (std::size_t f = 0; f < stored.failures.size(); ++f) {
    CHECK(stored.failures[f].index == streamed.failures[f].index);
    CHECK(same_bits(stored.failures[f].time, streamed.failures[f].time));
    CHECK(stored.failures[f].reason == streamed.failures[f].reason);
  }
  REQUIRE(stored.paths.size() == streamed.paths.size());
  for (std::size_t p = 0; p < stored.paths.size(); ++p) CHECK(stored.paths[p].times == streamed.paths[p].times);
}

// The quantiles a stored run's values give through EnsembleResult::quantile (sdekit::quantile over the values).
template <class X>
void check_quantiles_match_values(const sdekit::EnsembleResult<X>& stored, const sdekit::StatisticsOptions& st) {
  for (std::size_t s = 0; s < stored.statistics.size(); ++s)
    for (std::size_t q = 0; q < st.quantiles.size(); ++q)
      CHECK(same_bits(stored.statistics[s].quantiles[q],
                      stored.quantile(s, st.quantiles[q].component, st.quantiles[q].q)));
}

// Runs `run(options)` once storing states (threads 1, block 256), then statistics-only for threads 1, 2, 3 and block
// sizes 1, 7, 256; every statistics-only run must equal the stored one bit for bit.
template <class Options, class Run>
void check_modes_agree(Options options, Run run, std::size_t min_passes = 2) {
  options.threads = 1;
  options.block_size = 256;
  options.statistics.storage = sdekit::Storage::states;
  const auto stored = run(options);
  CHECK_FALSE(stored.statistics_only);
  check_quantiles_match_values(stored, options.statistics);
  options.statistics.storage = sdekit::Storage::statistics_only;
  for (int threads : {1, 2, 3})
    for (std::size_t block : {std::size_t{1}, std::size_t{7}, std::size_t{256}}) {
      options.threads = threads;
      options.block_size = block;
      CAPTURE(threads);
      CAPTURE(block);
      const auto streamed = run(options);
      CHECK(streamed.statistics_only);
      CHECK(streamed.values.empty());
      CHECK(streamed.passes >= min_passes);  // the quantiles needed re-simulation
      check_same_statistics(stored, streamed);
    }
}

// What every workload requests: a histogram, a reduction and quantiles including the extremes and a tail.
sdekit::StatisticsOptions requests(double lo, double hi) {
  sdekit::StatisticsOptions st;
  st.histograms = {{0, 17, lo, hi}};
  st.reductions = {{"square", [](std::span<const double> x) { return x[0] * x[0]; }}};
  for (double q : {0.0, 0.001, 0.1, 0.5, 0.77, 0.999, 1.0}) st.quantiles.push_back({0, q});
  return st;
}

}  // namespace

TEST_CASE("SDE: statistics-only equals stored states bit for bit, with failures, kept paths and narrowing passes") {
  // A 3-D linear SDE with a domain (|x_0| < 1.3) that stops some particles, so failures and the alive count matter.
  using V3 = Eigen::Vector3d;
  const auto sde =
      sdekit::make_sde([](const V3& x, double) { return V3(-x[0] + 0.5 * x[1], -2.0 * x[1], x[0] - x[2]); },
                       [](const V3& x, double) { return V3(0.8, 0.5 + 0.1 * x[1] * x[1], 0.3); });
  auto inside = [](const V3& x) { return std::abs(x[0]) < 1.3; };
  sdekit::EnsembleOptions o;
  o.particles = 17000;  // 16 full leaves of statistics_leaf_size = 1024 and a partial one: a pairwise tree differs
                        // from a left fold
  o.seed = 42;
  o.t1 = 1.0;
  o.dt = 0.05;
  o.save_times = {0.0, 0.5, 1.0};
  o.keep_paths = {3, 16999};
  o.statistics = requests(-2.0, 2.0);
  for (double q : {0.05, 0.95}) o.statistics.quantiles.push_back({2, q});
  std::size_t min_passes = 2;
  SUBCASE("default search: one collecting pass") {}
  SUBCASE("tiny capacity and few bins: several narrowing passes") {
    o.statistics.quantile_bins = 3;
    o.statistics.quantile_capacity = 5;
    min_passes = 4;
  }
  auto run = [&](const sdekit::EnsembleOptions& options) {
    return sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, V3(0.5, -0.2, 0.1), options, inside);
  };
  const auto stored = run(o);
  REQUIRE(stored.failures.size() > 10);  // the domain matters
  check_modes_agree(o, run, min_passes);
}

TEST_CASE("SSA: statistics-only equals stored states bit for bit on integer states (ties in the quantile search)") {
  const auto network =
      sdekit::make_reaction_network({"X"}, {5.0}, sdekit::reaction("birth", "0 -> X", sdekit::mass_action(10.0)),
                                    sdekit::reaction("death", "X -> 0", sdekit::mass_action(1.0)));
  sdekit::EnsembleOptions o;
  o.particles = 13000;  // 12 full leaves of 1024 and a partial one
  o.seed = 7;
  o.t1 = 2.0;
  o.dt = 0.5;
  o.save_times = {0.0, 1.0, 2.0};
  o.statistics = requests(0.0, 20.0);
  o.statistics.quantile_bins = 4;  // the counts span ~20 integers: bins full of ties end the search by min == max
  auto run = [&](const sdekit::EnsembleOptions& options) {
    return sdekit::simulate_ssa(network, sdekit::jump_options(options));
  };
  check_modes_agree(o, run);
}

TEST_CASE("diffusion sampler: statistics-only equals stored states bit for bit") {
  using V2 = Eigen::Vector2d;
  const sdekit::VpSde<> vp;
  Eigen::Matrix2d covariance;
  covariance << 1.0, 0.3, 0.3, 0.5;
  const sdekit::GaussianScore<sdekit::VpSde<>, 2> score(vp, V2(1.0, -0.5), covariance);
  sdekit::ReverseSampleOptions o;
  o.particles = 13000;  // 12 full leaves of 1024 and a partial one
  o.seed = 3;
  o.steps = 20;
  o.statistics = requests(-3.0, 3.0);
  o.statistics.quantiles.push_back({1, 0.25});
  auto run = [&](const sdekit::ReverseSampleOptions& options) {
    return sdekit::sample_reverse_sde(vp, score, vp.prior_sampler<V2>(), options).ensemble;
  };
  check_modes_agree(o, run);
  o.statistics.storage = sdekit::Storage::statistics_only;
  const auto samples = sdekit::sample_reverse_sde(vp, score, vp.prior_sampler<V2>(), o);
  check_throws_naming([&] { (void)samples.samples(); }, "statistics_only");
}

TEST_CASE("PairwiseMerge: aligned subtrees merged in order equal the whole tree (the base for merging processes)") {
  // 8 leaves of 1-D samples with very different scales, so a different merge tree would round differently.
  std::vector<sdekit::Moments> leaves;
  for (int l = 0; l < 8; ++l) {
    sdekit::Moments m(1);
    for (int i = 0; i < 5; ++i) {
      const double x = std::pow(10.0, l % 4) * (1.0 + 0.1 * i) + 1e-3 * l;
      m.add(&x);
    }
    leaves.push_back(m);
  }
  auto merge_range = [&](std::size_t a, std::size_t b) {
    sdekit::PairwiseMerge<sdekit::Moments> tree;
    for (std::size_t l = a; l < b; ++l) tree.push(leaves[l]);
    return std::move(tree).finish(sdekit::Moments(1));
  };
  const sdekit::Moments whole = merge_range(0, 8);
  sdekit::Moments halves = merge_range(0, 4);
  halves.merge(merge_range(4, 8));
  CHECK(same_bits(whole.mean()[0], halves.mean()[0]));
  CHECK(same_bits(whole.variance()[0], halves.variance()[0]));
  // A left fold is a different tree: the test has power only if it rounds differently.
  sdekit::Moments fold = leaves[0];
  for (std::size_t l = 1; l < 8; ++l) fold.merge(leaves[l]);
  CHECK_FALSE((same_bits(whole.mean()[0], fold.mean()[0]) && same_bits(whole.variance()[0], fold.variance()[0])));
}

TEST_CASE("a reduction's mean and standard error estimate an exact probability (OU, Euler-Maruyama chain)") {
  // Euler–Maruyama on dX = −θX dt + σ dW from 0 is the linear recursion X_{k+1} = (1 − θh)X_k + σ√h Z, so X_T is
  // exactly N(0, v) with v = σ²h Σ_{j<K} (1 − θh)^{2j}; P(X_T > c) = 1 − Φ(c/√v). Tolerance: 4.5 standard errors.
  const double theta = 1.0, sigma = 1.0, h = 0.1, c = 1.2;
  const auto ou = sdekit::make_sde([=](double x, double) { return -theta * x; }, [=](double, double) { return sigma; });
  sdekit::EnsembleOptions o;
  o.particles = 200000;
  o.seed = 5;
  o.t1 = 1.0;
  o.dt = h;
  o.statistics.storage = sdekit::Storage::statistics_only;
  o.statistics.reductions = {{"exceeds", [=](std::span<const double> x) { return x[0] > c ? 1.0 : 0.0; }}};
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o);
  double v = 0.0;
  for (int j = 0; j < 10; ++j) v += std::pow(1.0 - theta * h, 2 * j);
  v *= sigma * sigma * h;
  const double p = 1.0 - sdekit::normal_cdf(c / std::sqrt(v));
  const sdekit::ReductionStatistics& e = r.statistics.back().reductions.at(0);
  CHECK(e.name == "exceeds");
  CHECK(e.count == o.particles);
  INFO("estimate " << e.mean << " ± " << e.standard_error << ", exact " << p);
  CHECK(std::abs(e.mean - p) < 4.5 * e.standard_error);
  // The standard error of a Bernoulli mean is sqrt(p(1 − p)/n) up to sampling noise in p.
  CHECK(e.standard_error == doctest::Approx(std::sqrt(p * (1 - p) / double(o.particles))).epsilon(0.02));
  CHECK(r.values.empty());
}

TEST_CASE("automatic storage, progress across passes, and lookups that need states") {
  const auto ou = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  sdekit::EnsembleOptions o;
  o.particles = 10000;
  o.t1 = 0.5;
  o.dt = 0.1;
  o.statistics.storage = sdekit::Storage::automatic;
  o.statistics.quantiles = {{0, 0.5}};
  // 8 bytes × 10^4 particles × 1 component × 1 save = 80 000 bytes.
  o.statistics.automatic_limit_bytes = 80000;
  CHECK_FALSE(sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o).statistics_only);
  o.statistics.automatic_limit_bytes = 79999;
  std::vector<double> reported;
  o.progress = [&](double f) { reported.push_back(f); };
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o);
  CHECK(r.statistics_only);
  CHECK(r.passes == 2);
  REQUIRE(!reported.empty());
  for (std::size_t i = 1; i < reported.size(); ++i) CHECK(reported[i] >= reported[i - 1]);
  CHECK(reported.back() == 1.0);
  check_throws_naming([&] { (void)r.component_values(0); }, "statistics_only");
  check_throws_naming([&] { (void)r.quantile(0, 0, 0.5); }, "statistics_only");
  check_throws_naming([&] { (void)r.histogram(0, 0, 10, 0.0, 1.0); }, "statistics_only");
  check_throws_naming([&] { (void)r.states(0); }, "statistics_only");
}

TEST_CASE("bad statistics options name the function, the argument and its value") {
  const auto ou = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  auto run = [&](const sdekit::StatisticsOptions& st) {
    sdekit::EnsembleOptions o;
    o.particles = 100;
    o.statistics = st;
    o.statistics.storage = sdekit::Storage::statistics_only;
    (void)sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, o);
  };
  auto with = [](auto change) {
    sdekit::StatisticsOptions st;
    change(st);
    return st;
  };
  check_throws_naming([&] { run(with([](auto& st) {
                              st.histograms = {{0, 0, 0.0, 1.0}};
                            })); },
                      "sdekit::simulate_ensemble: statistics.histograms[0].bins = 0");
  check_throws_naming([&] { run(with([](auto& st) {
                              st.histograms = {{0, 5, 1.0, 1.0}};
                            })); },
                      "statistics.histograms[0].hi = 1");
  check_throws_naming([&] { run(with([](auto& st) {
                              st.histograms = {{1, 5, 0.0, 1.0}};
                            })); },
                      "statistics.histograms[0].component = 1");
  check_throws_naming([&] { run(with([](auto& st) {
                              st.reductions = {{"empty", {}}};
                            })); },
                      "statistics.reductions[0].f");
  check_throws_naming([&] { run(with([](auto& st) {
                              st.quantiles = {{0, 1.5}};
                            })); },
                      "statistics.quantiles[0].q = 1.5");
  check_throws_naming([&] { run(with([](auto& st) {
                              st.quantiles = {{2, 0.5}};
                            })); },
                      "statistics.quantiles[0].component = 2");
  check_throws_naming([&] { run(with([](auto& st) { st.quantile_bins = 1; })); }, "statistics.quantile_bins = 1");
  check_throws_naming([&] { run(with([](auto& st) { st.quantile_capacity = 0; })); },
                      "statistics.quantile_capacity = 0");
  check_throws_naming([&] { run(with([](auto& st) { st.quantile_max_passes = 0; })); },
                      "statistics.quantile_max_passes = 0");
  // A search that cannot finish within its pass limit says so instead of running on.
  check_throws_naming(
      [&] {
        run(with([](auto& st) {
          st.quantiles = {{0, 0.5}};
          st.quantile_bins = 2;
          st.quantile_capacity = 1;
          st.quantile_max_passes = 2;
        }));
      },
      "statistics.quantile_max_passes = 2 passes did not isolate the quantiles");
}
