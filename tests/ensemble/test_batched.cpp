// Batched problems (core/block_step.hpp): functors on a StateBlock of particles give, through simulate_ensemble and
// integrate, the bits of per-particle functors computing the same formulas — Euler–Maruyama, stochastic Heun and
// Milstein, diagonal and general noise, fixed-size and Eigen::VectorXd states, threads 1 and 2, block sizes 1, 7 and
// 256; failed particles (exceptions, non-finite states, domain exits) found exactly, the others untouched;
// statistics-only storage; no allocation per step (this executable counts malloc/calloc/realloc, as
// tests/core/test_in_place.cpp does).
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>
#include <sdekit/solvers/stochastic_heun.hpp>

#include <doctest/doctest.h>

#include <Eigen/Core>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

#include "count_malloc.hpp"

namespace {

using sdekit::StateBlock;
using V3 = Eigen::Vector3d;
using V2 = Eigen::Vector2d;

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }
template <class A, class B>
bool same_bits(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i)
      if (!same_bits(a(i, j), b(i, j))) return false;
  return true;
}

// Every saved state, kept path and failure of two runs, bit for bit.
template <class X>
void check_same_run(const sdekit::EnsembleResult<X>& a, const sdekit::EnsembleResult<X>& b) {
  REQUIRE(a.values.size() == b.values.size());
  for (std::size_t s = 0; s < a.values.size(); ++s) {
    CAPTURE(s);
    CHECK(same_bits(a.values[s], b.values[s]));
  }
  REQUIRE(a.paths.size() == b.paths.size());
  for (std::size_t p = 0; p < a.paths.size(); ++p) {
    REQUIRE(a.paths[p].states.size() == b.paths[p].states.size());
    for (std::size_t k = 0; k < a.paths[p].states.size(); ++k)
      CHECK(same_bits(a.paths[p].states[k], b.paths[p].states[k]));
  }
  REQUIRE(a.failures.size() == b.failures.size());
  for (std::size_t f = 0; f < a.failures.size(); ++f) {
    CHECK(a.failures[f].index == b.failures[f].index);
    CHECK(same_bits(a.failures[f].time, b.failures[f].time));
    CHECK(same_bits(a.failures[f].last_state, b.failures[f].last_state));
    CHECK(a.failures[f].reason == b.failures[f].reason);
  }
}

constexpr double sig = 10.0, rho = 28.0, beta = 8.0 / 3.0, lorenz_noise = 1.0;

//[ batched_lorenz
// The Lorenz system, dx = f(x) dt + s dW, written over a block: X is n×B (a column per particle), each row one
// component of every particle, so each line is a vectorised loop over the block.
auto lorenz_drift = [](const sdekit::StateBlock& X, double, sdekit::StateBlock& out) {
  out.row(0).array() = sig * (X.row(1).array() - X.row(0).array());
  out.row(1).array() = X.row(0).array() * (rho - X.row(2).array()) - X.row(1).array();
  out.row(2).array() = X.row(0).array() * X.row(1).array() - beta * X.row(2).array();
};
auto lorenz_diffusion = [](const sdekit::StateBlock&, double, sdekit::StateBlock& out) {  // diagonal noise
  out.setConstant(lorenz_noise);
};
auto batched_lorenz = sdekit::make_sde(lorenz_drift, lorenz_diffusion);
static_assert(sdekit::batched_problem_v<decltype(batched_lorenz), Eigen::Vector3d>);
//]

// The same formulas per particle.
auto particle_lorenz = sdekit::make_sde(
    [](const V3& x, double) { return V3(sig * (x[1] - x[0]), x[0] * (rho - x[2]) - x[1], x[0] * x[1] - beta * x[2]); },
    [](const V3&, double) { return V3::Constant(lorenz_noise); });

// Lorenz with multiplicative diagonal noise s + c x_i, Stratonovich (stochastic Heun's second diffusion call matters).
constexpr double heun_s = 0.5, heun_c = 0.01;
auto batched_lorenz_strat = sdekit::make_sde(
    lorenz_drift, [](const StateBlock& X, double, StateBlock& out) { out.array() = heun_s + heun_c * X.array(); },
    sdekit::stratonovich);
auto particle_lorenz_strat = sdekit::make_sde(
    [](const V3& x, double) { return V3(sig * (x[1] - x[0]), x[0] * (rho - x[2]) - x[1], x[0] * x[1] - beta * x[2]); },
    [](const V3& x, double) { return (heun_s + heun_c * x.array()).matrix().eval(); }, sdekit::stratonovich);

// A 2-D geometric Brownian motion, dx_i = μ_i x_i dt + σ_i x_i dW_i (multiplicative diagonal noise, for Milstein).
constexpr double mu0 = 0.1, mu1 = -0.2, s0 = 0.4, s1 = 0.3;
auto gbm_drift_block = [](const StateBlock& X, double, StateBlock& out) {
  out.row(0) = mu0 * X.row(0);
  out.row(1) = mu1 * X.row(1);
};
auto gbm_diffusion_block = [](const StateBlock& X, double, StateBlock& out) {
  out.row(0) = s0 * X.row(0);
  out.row(1) = s1 * X.row(1);
};
auto gbm_drift = [](const V2& x, double) { return V2(mu0 * x[0], mu1 * x[1]); };
auto gbm_diffusion = [](const V2& x, double) { return V2(s0 * x[0], s1 * x[1]); };

// A 2-D linear SDE driven by 3 Wiener processes through a 2×3 matrix B(x) (general noise), as bench/case_general_em.
constexpr double a00 = -1.0, a01 = 0.5, a10 = -0.5, a11 = -1.0;
constexpr double b00 = 0.3, b01 = 0.1, b02 = 0.0, b10 = 0.0, b11 = 0.2, b12 = 0.1, scale = 0.1;
auto general_drift_block = [](const StateBlock& X, double, StateBlock& out) {
  out.row(0) = a00 * X.row(0) + a01 * X.row(1);
  out.row(1) = a10 * X.row(0) + a11 * X.row(1);
};
//[ batched_noise_term
// b(x)·dW per column, summed over the Wiener processes in order 0, 1, 2 (as Eigen's 2×3 product does).
auto general_noise_term = [](const StateBlock& X, double, const StateBlock& dW, StateBlock& out) {
  out.row(0).array() =
      (b00 + scale * X.row(0).array()) * dW.row(0).array() + b01 * dW.row(1).array() + b02 * dW.row(2).array();
  out.row(1).array() =
      b10 * dW.row(0).array() + (b11 + scale * X.row(1).array()) * dW.row(1).array() + b12 * dW.row(2).array();
};
//]
auto general_drift = [](const V2& x, double) { return V2(a00 * x[0] + a01 * x[1], a10 * x[0] + a11 * x[1]); };
auto general_diffusion = [](const V2& x, double) {
  Eigen::Matrix<double, 2, 3> b;
  b << b00 + scale * x[0], b01, b02, b10, b11 + scale * x[1], b12;
  return b;
};

sdekit::EnsembleOptions options_for(std::size_t particles, double t1, double dt, int threads, std::size_t block) {
  sdekit::EnsembleOptions o;
  o.particles = particles;
  o.seed = 2026;
  o.t1 = t1;
  o.dt = dt;
  o.threads = threads;
  o.block_size = block;
  o.save_times = {0.0, t1 / 2, t1};
  o.keep_paths = {3, 0};
  return o;
}

// A batched run equals the per-particle run bit for bit for threads 1, 2 and block sizes 1, 7, 256.
template <class Stepper, class Batched, class Particle, class X>
void check_batched_equals_particle(const Stepper& stepper, const Batched& batched, const Particle& particle,
                                   const X& x0, double t1, double dt) {
  const auto reference = sdekit::simulate_ensemble(stepper, particle, x0, options_for(300, t1, dt, 1, 256));
  for (int threads : {1, 2})
    for (std::size_t block : {std::size_t{1}, std::size_t{7}, std::size_t{256}}) {
      CAPTURE(threads);
      CAPTURE(block);
      check_same_run(reference,
                     sdekit::simulate_ensemble(stepper, batched, x0, options_for(300, t1, dt, threads, block)));
    }
}

}  // namespace

TEST_CASE("batched problems are recognised by their signature") {
  using P = decltype(batched_lorenz);
  static_assert(sdekit::batched_drift_v<P, V3> && sdekit::batched_diffusion_v<P, V3>);
  static_assert(!sdekit::batched_problem_v<decltype(particle_lorenz), V3>);
  static_assert(sdekit::noise_kind_v<P, V3> == sdekit::NoiseKind::diagonal);
  //[ batched_noise_term
  auto general = sdekit::make_sde(general_drift_block, sdekit::batched_noise_term(general_noise_term, 3));  // m = 3
  //]
  static_assert(sdekit::batched_problem_v<decltype(general), V2>);
  static_assert(sdekit::noise_kind_v<decltype(general), V2> == sdekit::NoiseKind::general);
  CHECK(sdekit::noise_dimension(general, V2(1.0, 0.0), 0.0, "test") == 3);
  CHECK(sdekit::noise_dimension(batched_lorenz, V3(1.0, 1.0, 1.0), 0.0, "test") == 3);

  //[ batched_lorenz
  sdekit::EnsembleOptions options;
  options.particles = 1000;
  options.t1 = 1.0;
  options.dt = 1e-3;  // one call of each functor per block of options.block_size particles and step
  const auto result =
      sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, batched_lorenz, Eigen::Vector3d(1.0, 1.0, 1.0), options);
  //]
  CHECK(result.failures.empty());
  CHECK(result.statistics.back().alive == 1000);
}

TEST_CASE("batched Lorenz: the bits of the per-particle problem with Euler–Maruyama and stochastic Heun") {
  const V3 x0(1.0, 1.0, 1.0);
  SUBCASE("Euler–Maruyama") {
    check_batched_equals_particle(sdekit::EulerMaruyama{}, batched_lorenz, particle_lorenz, x0, 0.5, 1e-3);
  }
  SUBCASE("stochastic Heun, Stratonovich multiplicative noise") {
    check_batched_equals_particle(sdekit::StochasticHeun{}, batched_lorenz_strat, particle_lorenz_strat, x0, 0.5, 1e-3);
  }
}

TEST_CASE("batched Milstein on a multiplicative diagonal problem: the bits of the per-particle problem") {
  const V2 x0(1.0, 2.0);
  SUBCASE("Itô, derivative-free") {
    check_batched_equals_particle(sdekit::Milstein{}, sdekit::make_sde(gbm_drift_block, gbm_diffusion_block),
                                  sdekit::make_sde(gbm_drift, gbm_diffusion), x0, 1.0, 1e-2);
  }
  SUBCASE("Stratonovich, derivative-free") {
    check_batched_equals_particle(sdekit::Milstein{},
                                  sdekit::make_sde(gbm_drift_block, gbm_diffusion_block, sdekit::stratonovich),
                                  sdekit::make_sde(gbm_drift, gbm_diffusion, sdekit::stratonovich), x0, 1.0, 1e-2);
  }
  SUBCASE("Itô, with the diffusion derivative") {
    auto batched = sdekit::make_sde(gbm_drift_block, gbm_diffusion_block)
                       .with_diffusion_derivative([](const StateBlock& X, double, StateBlock& out) {
                         out.row(0).setConstant(s0);
                         out.row(1).setConstant(s1);
                         (void)X;
                       });
    auto particle = sdekit::make_sde(gbm_drift, gbm_diffusion).with_diffusion_derivative([](const V2&, double) {
      return V2(s0, s1);
    });
    check_batched_equals_particle(sdekit::Milstein{}, batched, particle, x0, 1.0, 1e-2);
  }
}

TEST_CASE("batched general noise (2-D state, 3 Wiener processes): the bits of the per-particle problem") {
  // Bitwise, not only close: per element both sides compute x + (a h + ((b₀ΔW₀ + b₁ΔW₁) + b₂ΔW₂)), because Eigen's
  // fixed-size 2×3 product sums over the Wiener processes in index order, as the batched noise term does.
  const V2 x0(1.0, 0.0);
  auto batched = sdekit::make_sde(general_drift_block, sdekit::batched_noise_term(general_noise_term, 3));
  SUBCASE("Euler–Maruyama") {
    check_batched_equals_particle(sdekit::EulerMaruyama{}, batched, sdekit::make_sde(general_drift, general_diffusion),
                                  x0, 1.0, 1e-2);
  }
  SUBCASE("stochastic Heun") {
    check_batched_equals_particle(
        sdekit::StochasticHeun{},
        sdekit::make_sde(general_drift_block, sdekit::batched_noise_term(general_noise_term, 3), sdekit::stratonovich),
        sdekit::make_sde(general_drift, general_diffusion, sdekit::stratonovich), x0, 1.0, 1e-2);
  }
}

TEST_CASE("batched problems on Eigen::VectorXd states: the bits of in-place per-particle functors") {
  // A 5-point stochastic heat equation with multiplicative noise, batched (rows are grid points) and in place.
  static constexpr double c = 4.0, s = 0.2;
  auto batched = sdekit::make_sde(
      [](const StateBlock& U, double, StateBlock& out) {
        const Eigen::Index last = U.rows() - 1;
        out.row(0) = c * (-2.0 * U.row(0) + U.row(1));
        for (Eigen::Index i = 1; i < last; ++i) out.row(i) = c * (U.row(i - 1) - 2.0 * U.row(i) + U.row(i + 1));
        out.row(last) = c * (U.row(last - 1) - 2.0 * U.row(last));
      },
      [](const StateBlock& U, double, StateBlock& out) { out = s * U; });
  auto particle = sdekit::make_sde(
      [](const Eigen::VectorXd& u, double, Eigen::VectorXd& out) {
        const Eigen::Index last = u.size() - 1;
        out[0] = c * (-2.0 * u[0] + u[1]);
        for (Eigen::Index i = 1; i < last; ++i) out[i] = c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
        out[last] = c * (u[last - 1] - 2.0 * u[last]);
      },
      [](const Eigen::VectorXd& u, double, Eigen::VectorXd& out) { out = s * u; });
  static_assert(sdekit::batched_problem_v<decltype(batched), Eigen::VectorXd>);
  check_batched_equals_particle(sdekit::Milstein{}, batched, particle, Eigen::VectorXd::LinSpaced(5, 0.5, 1.5).eval(),
                                0.5, 1e-2);
}

TEST_CASE("integrate takes a batched problem (a block of one column): the bits of the per-particle problem") {
  auto run = [](const auto& stepper, const auto& problem, auto x) {
    auto s = stepper;
    sdekit::integrate(s, problem, x, 0.0, 0.5, 1e-3, sdekit::GaussianNoise(7));
    return x;
  };
  const V3 l0(1.0, 1.0, 1.0);
  CHECK(same_bits(run(sdekit::EulerMaruyama{}, batched_lorenz, l0), run(sdekit::EulerMaruyama{}, particle_lorenz, l0)));
  CHECK(same_bits(run(sdekit::StochasticHeun{}, batched_lorenz_strat, l0),
                  run(sdekit::StochasticHeun{}, particle_lorenz_strat, l0)));
  const V2 g0(1.0, 2.0);
  CHECK(same_bits(run(sdekit::Milstein{}, sdekit::make_sde(gbm_drift_block, gbm_diffusion_block), g0),
                  run(sdekit::Milstein{}, sdekit::make_sde(gbm_drift, gbm_diffusion), g0)));
  const V2 e0(1.0, 0.0);
  CHECK(same_bits(run(sdekit::EulerMaruyama{},
                      sdekit::make_sde(general_drift_block, sdekit::batched_noise_term(general_noise_term, 3)), e0),
                  run(sdekit::EulerMaruyama{}, sdekit::make_sde(general_drift, general_diffusion), e0)));
}

namespace {
// An OU process that fails for some particles: the drift throws once x₀ > 1.2 and turns x₁ to +inf once x₁ > 1.3
// (column by column, so a column's outcome depends on that column only); the domain ends at x₀ = −1.1.
constexpr double throw_above = 1.2, inf_above = 1.3;
auto failing_block_drift = [](const StateBlock& X, double, StateBlock& out) {
  if ((X.row(0).array() > throw_above).any()) throw std::runtime_error("drift blew up");
  out.row(0) = -X.row(0);
  out.row(1) = (X.row(1).array() > inf_above).select(std::numeric_limits<double>::infinity(), -X.row(1).array());
};
auto failing_particle_drift = [](const V2& x, double) {
  if (x[0] > throw_above) throw std::runtime_error("drift blew up");
  return V2(-x[0], x[1] > inf_above ? std::numeric_limits<double>::infinity() : -x[1]);
};
constexpr double ou_noise = 0.8;
auto inside = [](const V2& x) { return x[0] > -1.1; };
}  // namespace

TEST_CASE("batched failures: exactly the failed particles, with the per-particle reasons; the others untouched") {
  auto batched = sdekit::make_sde(failing_block_drift,
                                  [](const StateBlock&, double, StateBlock& out) { out.setConstant(ou_noise); });
  auto particle = sdekit::make_sde(failing_particle_drift, [](const V2&, double) { return V2::Constant(ou_noise); });
  const V2 x0(0.0, 0.0);
  const auto reference =
      sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, particle, x0, options_for(300, 2.0, 1e-2, 1, 256), inside);
  std::set<std::string> reasons;
  for (const auto& f : reference.failures) reasons.insert(f.reason);
  CHECK(reasons.count("drift blew up") == 1);
  CHECK(reasons.count("non-finite state") == 1);
  CHECK(reasons.count("left the domain") == 1);
  CHECK(reference.failures.size() > 10);
  CHECK(reference.failures.size() < 290);
  for (int threads : {1, 2})
    for (std::size_t block : {std::size_t{1}, std::size_t{7}, std::size_t{256}}) {
      CAPTURE(threads);
      CAPTURE(block);
      check_same_run(reference, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, batched, x0,
                                                          options_for(300, 2.0, 1e-2, threads, block), inside));
    }

  // The survivors are the particles of a run where nothing fails, bit for bit.
  auto harmless = sdekit::make_sde([](const StateBlock& X, double, StateBlock& out) { out = -X; },
                                   [](const StateBlock&, double, StateBlock& out) { out.setConstant(ou_noise); });
  const auto unfailing =
      sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, harmless, x0, options_for(300, 2.0, 1e-2, 2, 7));
  CHECK(unfailing.failures.empty());
  std::set<std::size_t> failed;
  for (const auto& f : reference.failures) failed.insert(f.index);
  for (std::size_t i = 0; i < 300; ++i) {
    if (failed.count(i)) continue;
    CAPTURE(i);
    for (std::size_t s = 0; s < reference.values.size(); ++s)
      CHECK(same_bits(reference.values[s].col(static_cast<Eigen::Index>(i)),
                      unfailing.values[s].col(static_cast<Eigen::Index>(i))));
  }
}

TEST_CASE("batched statistics-only runs give the statistics of stored runs") {
  auto batched = sdekit::make_sde(failing_block_drift,
                                  [](const StateBlock&, double, StateBlock& out) { out.setConstant(ou_noise); });
  const V2 x0(0.0, 0.0);
  sdekit::EnsembleOptions options = options_for(500, 1.0, 1e-2, 2, 7);
  options.keep_paths.clear();
  options.statistics.histograms = {{0, 20, -1.0, 1.0}};
  options.statistics.quantiles = {{1, 0.5}};
  const auto stored = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, batched, x0, options, inside);
  options.statistics.storage = sdekit::Storage::statistics_only;
  options.threads = 1;
  options.block_size = 256;
  const auto streamed = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, batched, x0, options, inside);
  CHECK(streamed.statistics_only);
  CHECK(!stored.failures.empty());
  REQUIRE(stored.statistics.size() == streamed.statistics.size());
  for (std::size_t s = 0; s < stored.statistics.size(); ++s) {
    CAPTURE(s);
    const auto &a = stored.statistics[s], &b = streamed.statistics[s];
    CHECK(a.alive == b.alive);
    CHECK(same_bits(a.mean, b.mean));
    CHECK(same_bits(a.covariance, b.covariance));
    CHECK(same_bits(a.min, b.min));
    CHECK(same_bits(a.max, b.max));
    REQUIRE(a.histograms.size() == 1);
    CHECK(a.histograms[0].counts == b.histograms[0].counts);
    REQUIRE(a.quantiles.size() == 1);
    CHECK(same_bits(a.quantiles[0], b.quantiles[0]));
  }
}

TEST_CASE("a batched step allocates nothing: a run's allocations do not grow with its steps") {
#if !defined(SDEKIT_TEST_COUNTS_MALLOC)
  MESSAGE("malloc is not counted in this build (sanitizer or non-glibc); nothing to check");
#else
  // Steps of 2^-10, so that both runs' grids are uniform (a shortened last step would change the grid's own storage).
  constexpr double step = 1.0 / 1024;
  auto count_run = [](double t1, int threads) {
    sdekit::EnsembleOptions o;
    o.particles = 600;
    o.seed = 3;
    o.t1 = t1;
    o.dt = step;
    o.threads = threads;
    o.block_size = 256;
    const long before = allocations.load();
    const auto result = sdekit::simulate_ensemble(sdekit::StochasticHeun{}, batched_lorenz_strat, V3(1.0, 1.0, 1.0), o);
    const long used = allocations.load() - before;
    CHECK(result.failures.empty());
    return used;
  };
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    count_run(16 * step, threads);                          // warm-up: OpenMP's threads and their buffers
    const long short_run = count_run(16 * step, threads);   // 16 steps
    const long long_run = count_run(2000 * step, threads);  // 2000 steps
    CHECK(short_run > 0);                                   // the counter sees the run (its result, its blocks)
    CHECK(short_run == long_run);
  }
  auto count_integrate = [](double t1) {  // Milstein, derivative-free Itô: its five buffers
    V3 x(1.0, 1.0, 1.0);
    sdekit::Milstein milstein;
    auto problem = sdekit::make_sde(
        lorenz_drift, [](const StateBlock& X, double, StateBlock& out) { out.array() = heun_s + heun_c * X.array(); });
    const long before = allocations.load();
    sdekit::integrate(milstein, problem, x, 0.0, t1, step, sdekit::GaussianNoise(1));
    return allocations.load() - before;
  };
  const long short_integrate = count_integrate(16 * step);
  CHECK(short_integrate == count_integrate(2000 * step));
#endif
}
