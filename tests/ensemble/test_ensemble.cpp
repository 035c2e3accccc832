// Ensembles: bitwise reproducibility (threads, schedules, block sizes, N), agreement with single-path
// integration, statistics against exact laws (OU, 2-D linear SDE with general noise), failure handling, domains,
// parameter sweeps, kept paths, samplers, progress and option errors.
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/core/integrate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <Eigen/Dense>
#include <unsupported/Eigen/MatrixFunctions>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;

namespace {

using V2 = Eigen::Vector2d;
using V3 = Eigen::Vector3d;
using M23 = Eigen::Matrix<double, 2, 3>;

bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

template <class X>
bool same_bits_state(const X& a, const X& b) {
  if constexpr (std::is_arithmetic_v<X>) return same_bits(a, b);
  else return same_bits(Eigen::MatrixXd(a), Eigen::MatrixXd(b));
}

// Everything a result holds, compared bit for bit.
template <class X>
void check_identical(const sdekit::EnsembleResult<X>& a, const sdekit::EnsembleResult<X>& b) {
  REQUIRE(a.values.size() == b.values.size());
  for (std::size_t s = 0; s < a.values.size(); ++s) {
    CHECK(same_bits(a.values[s], b.values[s]));
    const auto &x = a.statistics[s], &y = b.statistics[s];
    CHECK(x.alive == y.alive);
    CHECK(same_bits(x.mean, y.mean));
    CHECK(same_bits(x.covariance, y.covariance));
    CHECK(same_bits(x.variance, y.variance));
    CHECK(same_bits(x.min, y.min));
    CHECK(same_bits(x.max, y.max));
  }
  REQUIRE(a.failures.size() == b.failures.size());
  for (std::size_t f = 0; f < a.failures.size(); ++f) {
    CHECK(a.failures[f].index == b.failures[f].index);
    CHECK(same_bits(a.failures[f].time, b.failures[f].time));
    CHECK(same_bits_state(a.failures[f].last_state, b.failures[f].last_state));
    CHECK(a.failures[f].reason == b.failures[f].reason);
  }
  REQUIRE(a.paths.size() == b.paths.size());
  for (std::size_t p = 0; p < a.paths.size(); ++p) {
    REQUIRE(a.paths[p].states.size() == b.paths[p].states.size());
    for (std::size_t k = 0; k < a.paths[p].states.size(); ++k)
      CHECK(same_bits_state(a.paths[p].states[k], b.paths[p].states[k]));
  }
}

// Runs `run(options)` for 1, 2 and 4 threads, both schedules and several block sizes; all must equal the first.
template <class Run>
void check_reproducible(sdekit::EnsembleOptions options, Run run) {
  options.threads = 1;
  options.block_size = 256;
  const auto reference = run(options);
  for (int threads : {1, 2, 4})
    for (auto schedule : {sdekit::Schedule::static_blocks, sdekit::Schedule::dynamic_blocks})
      for (std::size_t block : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1000}}) {
        options.threads = threads;
        options.schedule = schedule;
        options.block_size = block;
        CAPTURE(threads);
        CAPTURE(block);
        check_identical(reference, run(options));
      }
}

constexpr double ou_theta = 1.5, ou_mu = 0.7, ou_sigma = 0.5;
const auto ou_problem =
    sdekit::make_sde([](double x, double) { return ou_theta * (ou_mu - x); }, [](double, double) { return ou_sigma; });

// A "stepper" that applies the exact OU transition over dt, using dW/√dt as its standard normal.
// The traits of the exact-transition "steppers" below: exact in law (any weak order), any problem, ΔW only.
struct ExactTransitionTraits {
  template <class P, class X>
  static constexpr double strong_order() {
    return 1.0;
  }
  template <class P, class X>
  static constexpr double weak_order() {
    return std::numeric_limits<double>::infinity();
  }
  template <class P, class X>
  static constexpr sdekit::Support supports() {
    return sdekit::Support::yes;
  }
  template <class P, class X>
  static constexpr sdekit::NoiseInformation noise_information() {
    return sdekit::NoiseInformation::wiener;
  }
};

struct ExactOu : ExactTransitionTraits {
  template <class P>
  void do_step(const P&, double& x, double, double dt, double dw) const {
    const double decay = std::exp(-ou_theta * dt);
    x = ou_mu + (x - ou_mu) * decay + ou_sigma * std::sqrt((1 - decay * decay) / (2 * ou_theta)) * (dw / std::sqrt(dt));
  }
};

// Van Loan: for dx = A x dt + B dW, the transition over t is x(t) = e^{At} x(0) + N(0, Q_t),
// Q_t = ∫_0^t e^{As} B Bᵀ e^{Aᵀs} ds, both read off exp([[−A, BBᵀ], [0, Aᵀ]] t).
void linear_transition(const Eigen::Matrix2d& A, const M23& B, double t, Eigen::Matrix2d& F, Eigen::Matrix2d& Q) {
  Eigen::Matrix4d C = Eigen::Matrix4d::Zero();
  C.topLeftCorner<2, 2>() = -A;
  C.topRightCorner<2, 2>() = B * B.transpose();
  C.bottomRightCorner<2, 2>() = A.transpose();
  const Eigen::Matrix4d E = (C * t).exp();
  F = E.bottomRightCorner<2, 2>().transpose();
  Q = F * E.topRightCorner<2, 2>();
}

// A "stepper" applying the exact transition of dx = A x dt + B dW over its fixed step h, with the 3 Wiener
// increments mapped to N(0, Q_h) by M = [chol(Q_h) | 0].
struct ExactLinear : ExactTransitionTraits {
  Eigen::Matrix2d F;
  M23 M = M23::Zero();
  double h;
  ExactLinear(const Eigen::Matrix2d& A, const M23& B, double step) : h(step) {
    Eigen::Matrix2d Q;
    linear_transition(A, B, step, F, Q);
    M.leftCols<2>() = Eigen::LLT<Eigen::Matrix2d>(Q).matrixL().toDenseMatrix();
  }
  template <class P>
  void do_step(const P&, V2& x, double, double dt, const Eigen::Vector3d& dw) const {
    if (std::abs(dt - h) > 1e-12) throw std::logic_error("ExactLinear: step differs from h");  // fails the particle
    x = F * x + M * (dw / std::sqrt(dt));
  }
};

}  // namespace

TEST_CASE("ensembles are bitwise identical for 1, 2, 4 threads, both schedules and any block size") {
  sdekit::EnsembleOptions options;
  options.particles = 997;
  options.seed = 11;
  options.t1 = 1.0;
  options.dt = 0.02;
  options.save_times = {0.0, 0.3, 0.5, 1.0};
  options.keep_paths = {0, 500, 996};
  SUBCASE("scalar OU, Euler-Maruyama") {
    check_reproducible(options, [](const sdekit::EnsembleOptions& o) {
      return sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 2.0, o);
    });
  }
  SUBCASE("scalar GBM, Milstein, sampled initial states") {
    const auto gbm =
        sdekit::make_sde([](double x, double) { return 0.1 * x; }, [](double x, double) { return 0.4 * x; });
    check_reproducible(options, [&](const sdekit::EnsembleOptions& o) {
      return sdekit::simulate_ensemble(
          sdekit::Milstein{}, gbm, [](std::size_t, sdekit::RandomStream& rng) { return 1.0 + rng.uniform(); }, o);
    });
  }
  SUBCASE("3-D state, diagonal noise") {
    const auto lorenz = sdekit::make_sde(
        [](const V3& x, double) {
          return V3(10 * (x[1] - x[0]), x[0] * (28 - x[2]) - x[1], x[0] * x[1] - 8.0 / 3 * x[2]);
        },
        [](const V3& x, double) { return V3(0.5, 0.5, 0.1 * x[2]); });
    check_reproducible(options, [&](const sdekit::EnsembleOptions& o) {
      return sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, lorenz, V3(1, 1, 1), o);
    });
  }
  SUBCASE("2-D state, 3 Wiener processes (general noise), dynamic-size state") {
    const auto general = sdekit::make_sde([](const Eigen::VectorXd& x, double) -> Eigen::VectorXd { return -x; },
                                          [](const Eigen::VectorXd& x, double) {
                                            Eigen::MatrixXd b(2, 3);
                                            b << 0.3, 0.1 * x[0], 0.0, 0.0, 0.2, 0.1;
                                            return b;
                                          });
    check_reproducible(options, [&](const sdekit::EnsembleOptions& o) {
      return sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, general, Eigen::VectorXd::Ones(2).eval(), o);
    });
  }
  SUBCASE("with failures") {
    const auto blowup =
        sdekit::make_sde([](double x, double) { return x * x * x; }, [](double, double) { return 3.0; });
    check_reproducible(options, [&](const sdekit::EnsembleOptions& o) {
      auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, blowup, 0.0, o);
      CHECK(!r.failures.empty());
      return r;
    });
  }
}

TEST_CASE("particle i of a 10^6-particle run equals particle i of a 10-particle run") {
  sdekit::EnsembleOptions options;
  options.seed = 2026;
  options.t1 = 0.2;
  options.dt = 0.1;
  options.particles = 1000000;
  options.threads = 2;
  const auto big = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 2.0, options);
  options.particles = 10;
  options.threads = 1;
  options.block_size = 3;
  const auto small = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 2.0, options);
  CHECK(same_bits(Eigen::MatrixXd(big.values[0].leftCols(10)), small.values[0]));
  // And the last particle of the big run is the single path of particle 999999.
  double x = 2.0;
  sdekit::EulerMaruyama em;
  sdekit::integrate(em, ou_problem, x, 0.0, 0.2, 0.1, sdekit::GaussianNoise(2026, 999999));
  CHECK(same_bits(x, big.values[0](0, 999999)));
}

TEST_CASE("an ensemble particle equals integrate() with GaussianNoise(seed, i), bitwise") {
  sdekit::EnsembleOptions options;
  options.particles = 300;
  options.seed = 8;
  options.t1 = 1.0;
  options.dt = 0.01;
  options.save_times = {0.25, 1.0};
  options.keep_paths = {42};
  SUBCASE("scalar") {
    const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 2.0, options);
    for (std::size_t i : {0, 42, 299}) {
      double x = 2.0;
      std::vector<double> path;
      sdekit::EulerMaruyama em;
      sdekit::integrate_times(em, ou_problem, x, {0.0, 0.25, 1.0}, 0.01, sdekit::GaussianNoise(8, i),
                              [&](double v, double) { path.push_back(v); });
      CHECK(same_bits(path[1], r.values[0](0, static_cast<Eigen::Index>(i))));
      CHECK(same_bits(path[2], r.values[1](0, static_cast<Eigen::Index>(i))));
    }
    // The kept path is the state at every step boundary.
    double x = 2.0;
    std::vector<double> every;
    sdekit::EulerMaruyama em;
    sdekit::integrate(em, ou_problem, x, 0.0, 1.0, 0.01, sdekit::GaussianNoise(8, 42),
                      [&](double v, double) { every.push_back(v); });
    REQUIRE(r.paths.size() == 1);
    REQUIRE(r.paths[0].states.size() == every.size());
    for (std::size_t k = 0; k < every.size(); ++k) CHECK(same_bits(every[k], r.paths[0].states[k]));
  }
  SUBCASE("general noise, fixed-size 2-D state") {
    const auto sde = sdekit::make_sde([](const V2& x, double) { return V2(-x[0] + 0.5 * x[1], -x[1]); },
                                      [](const V2& x, double) {
                                        M23 b;
                                        b << 0.3, 0.1 * x[0], 0.0, 0.0, 0.2, 0.1;
                                        return b;
                                      });
    const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, V2(1.0, -1.0), options);
    for (std::size_t i : {0, 7, 299}) {
      V2 x(1.0, -1.0);
      sdekit::EulerMaruyama em;
      sdekit::integrate(em, sde, x, 0.0, 1.0, 0.01, sdekit::GaussianNoise(8, i));
      CHECK(same_bits(x[0], r.values[1](0, static_cast<Eigen::Index>(i))));
      CHECK(same_bits(x[1], r.values[1](1, static_cast<Eigen::Index>(i))));
    }
  }
}

TEST_CASE("OU statistics agree with the exact law at every save time") {
  // dx = θ(μ − x)dt + σ dW from x0. Two runs: (a) Euler–Maruyama against the exact law of the EM recursion
  // x' = (1 − θh)x + θμh + σ√h Z (Gaussian, mean and variance in closed form), and (b) a stepper that applies
  // the exact OU transition, against the exact continuous-time law: mean μ + (x0 − μ)e^{−θt}, variance
  // σ²(1 − e^{−2θt})/(2θ). Tolerances: 5 standard errors (mean: s/√n; variance: s²√(2/(n−1)); q-quantile:
  // √(q(1−q)/n)/f(x_q) with f the exact normal density).
  constexpr double theta = ou_theta, mu = ou_mu, sigma = ou_sigma, x0 = 2.0, h = 0.01;
  sdekit::EnsembleOptions options;
  options.particles = 100000;
  options.seed = 3;
  options.t1 = 2.0;
  options.dt = h;
  options.save_times = {0.1, 0.5, 1.0, 2.0};
  const auto em = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, x0, options);
  const auto exact = sdekit::simulate_ensemble(ExactOu{}, ou_problem, x0, options);
  const double n = static_cast<double>(options.particles);
  auto check_law = [&](const sdekit::EnsembleResult<double>& r, std::size_t s, double mean, double variance) {
    const auto& st = r.statistics[s];
    CAPTURE(st.time);
    CHECK(st.alive == options.particles);
    const double sd = std::sqrt(variance);
    CHECK(std::abs(st.mean[0] - mean) < 5 * sd / std::sqrt(n));
    CHECK(std::abs(st.variance[0] - variance) < 5 * variance * std::sqrt(2 / (n - 1)));
    CHECK(st.min[0] <= st.max[0]);
    for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}) {
      const double zq = sdekit::normal_quantile(q);
      const double density = std::exp(-0.5 * zq * zq) / std::sqrt(2 * std::numbers::pi) / sd;
      const double se = std::sqrt(q * (1 - q) / n) / density;
      CAPTURE(q);
      CHECK(std::abs(r.quantile(s, 0, q) - (mean + sd * zq)) < 5 * se);
    }
  };
  for (std::size_t s = 0; s < options.save_times.size(); ++s) {
    const double t = options.save_times[s];
    const double k = std::round(t / h);
    const double a = 1 - theta * h;
    check_law(em, s, mu + std::pow(a, k) * (x0 - mu), sigma * sigma * h * (1 - std::pow(a, 2 * k)) / (1 - a * a));
    check_law(exact, s, mu + (x0 - mu) * std::exp(-theta * t),
              sigma * sigma * (1 - std::exp(-2 * theta * t)) / (2 * theta));
  }
  // The histogram integrates to the fraction inside its range.
  const sdekit::Histogram hist = exact.histogram(3, 0, 40, -1.0, 2.5);
  CHECK(hist.total() == options.particles);
}

TEST_CASE("2-D linear SDE with general noise: mean and covariance agree with the exact law") {
  // dx = A x dt + B dW, B 2×3 constant. Two runs: (a) Euler–Maruyama against the exact law of its chain
  // x' = (I + hA)x + √h B Z: mean_{k+1} = (I + hA) mean_k, cov_{k+1} = (I + hA) cov_k (I + hA)ᵀ + h B Bᵀ;
  // (b) the exact transition (ExactLinear) against the exact continuous-time law, mean e^{At} x0 and covariance
  // ∫_0^t e^{As} B Bᵀ e^{Aᵀs} ds (Van Loan). Standard errors of a Gaussian sample: mean_i √(Σ_ii/n),
  // covariance_ij √((Σ_ii Σ_jj + Σ_ij²)/n); tolerance 5 of them.
  Eigen::Matrix2d A;
  A << -1.0, 0.8, -0.6, -0.5;
  M23 B;
  B << 0.5, 0.2, -0.3, 0.1, 0.4, 0.3;
  const auto sde =
      sdekit::make_sde([A](const V2& x, double) -> V2 { return A * x; }, [B](const V2&, double) -> M23 { return B; });
  const double h = 0.01;
  sdekit::EnsembleOptions options;
  options.particles = 100000;
  options.seed = 5;
  options.t1 = 1.5;
  options.dt = h;
  options.save_times = {0.5, 1.5};
  const V2 x0(1.0, -2.0);
  const auto em = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, x0, options);
  const auto exact = sdekit::simulate_ensemble(ExactLinear(A, B, h), sde, x0, options);
  const double n = static_cast<double>(options.particles);
  auto check_law = [&](const sdekit::SaveStatistics& st, const V2& mean, const Eigen::Matrix2d& cov) {
    CAPTURE(st.time);
    CHECK(st.alive == options.particles);
    for (int i = 0; i < 2; ++i) {
      CHECK(std::abs(st.mean[i] - mean[i]) < 5 * std::sqrt(cov(i, i) / n));
      for (int j = 0; j < 2; ++j)
        CHECK(std::abs(st.covariance(i, j) - cov(i, j)) <
              5 * std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / n));
    }
  };
  const Eigen::Matrix2d step = Eigen::Matrix2d::Identity() + h * A;
  V2 mean = x0;
  Eigen::Matrix2d cov = Eigen::Matrix2d::Zero();
  std::size_t k = 0;
  for (std::size_t s = 0; s < options.save_times.size(); ++s) {
    for (; static_cast<double>(k) < std::round(options.save_times[s] / h); ++k) {
      mean = step * mean;
      cov = step * cov * step.transpose() + h * B * B.transpose();
    }
    check_law(em.statistics[s], mean, cov);
    Eigen::Matrix2d F, Q;
    linear_transition(A, B, options.save_times[s], F, Q);
    check_law(exact.statistics[s], F * x0, Q);
  }
}

TEST_CASE("failed particles: exactly the ones that blow up are reported, statistics use the rest") {
  // dx = x³ dt + 1.5 dW: a particle that wanders far enough explodes within a few steps. Each particle's fate is
  // recomputed independently, step by step, with its own GaussianNoise.
  const auto blowup = sdekit::make_sde([](double x, double) { return x * x * x; }, [](double, double) { return 1.5; });
  sdekit::EnsembleOptions options;
  options.particles = 2000;
  options.seed = 99;
  options.t1 = 1.0;
  options.dt = 0.01;
  options.save_times = {0.25, 0.5, 1.0};
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, blowup, 0.0, options);
  const sdekit::TimeGrid grid(0.0, 1.0, 0.01, options.save_times);
  std::vector<sdekit::FailedParticle<double>> expected;
  std::vector<std::vector<double>> survivors(options.save_times.size());
  sdekit::EulerMaruyama em;
  for (std::size_t i = 0; i < options.particles; ++i) {
    const sdekit::GaussianNoise noise(99, i);
    double x = 0.0;
    std::size_t next_save = 0;
    for (std::size_t k = 0; k < grid.steps(); ++k) {
      double dw = 0;
      noise(k, grid.time(k), grid.step_size(k), dw);
      double y = x;
      em.do_step(blowup, y, grid.time(k), grid.step_size(k), dw);
      if (!std::isfinite(y)) {
        expected.push_back({i, grid.time(k), x, "non-finite state"});
        break;
      }
      x = y;
      while (next_save < options.save_times.size() && grid.save_index(next_save) == k + 1)
        survivors[next_save++].push_back(x);
    }
  }
  MESSAGE(expected.size() << " of " << options.particles << " particles blow up");
  REQUIRE(expected.size() > 20);
  REQUIRE(expected.size() < options.particles - 200);
  REQUIRE(r.failures.size() == expected.size());
  for (std::size_t f = 0; f < expected.size(); ++f) {
    CHECK(r.failures[f].index == expected[f].index);
    CHECK(same_bits(r.failures[f].time, expected[f].time));
    CHECK(same_bits(r.failures[f].last_state, expected[f].last_state));
    CHECK(std::isfinite(r.failures[f].last_state));
    CHECK(r.failures[f].reason == "non-finite state");
  }
  for (std::size_t s = 0; s < options.save_times.size(); ++s) {
    const auto& st = r.statistics[s];
    CHECK(st.alive == survivors[s].size());
    double mean = 0;
    for (double v : survivors[s]) mean += v;
    mean /= static_cast<double>(survivors[s].size());
    CHECK(st.mean[0] == doctest::Approx(mean).epsilon(1e-12));
    // Columns of failed particles are NaN from their failure on, and only those.
    std::size_t nan_columns = 0;
    for (Eigen::Index j = 0; j < r.values[s].cols(); ++j) nan_columns += std::isnan(r.values[s](0, j));
    CHECK(nan_columns == options.particles - survivors[s].size());
    // Survivors may be huge (about to blow up) but are finite: min and max are exactly theirs.
    CHECK(st.min[0] == *std::min_element(survivors[s].begin(), survivors[s].end()));
    CHECK(st.max[0] == *std::max_element(survivors[s].begin(), survivors[s].end()));
  }
}

TEST_CASE("exceptions and domains stop single particles and say why") {
  sdekit::EnsembleOptions options;
  options.particles = 500;
  options.seed = 4;
  options.t1 = 1.0;
  options.dt = 0.01;
  SUBCASE("domain") {
    const auto inside = [](double x) { return x > -0.5; };
    const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 0.0, options, inside);
    REQUIRE(!r.failures.empty());
    sdekit::EulerMaruyama em;
    for (const auto& f : r.failures) {
      CHECK(f.reason == "left the domain");
      CHECK(inside(f.last_state));
      // One more step from the reported state, with the particle's own increment, leaves the domain.
      const std::size_t k = static_cast<std::size_t>(std::llround(f.time / 0.01));
      double dw = 0, y = f.last_state;
      sdekit::GaussianNoise(4, f.index)(k, f.time, 0.01, dw);
      em.do_step(ou_problem, y, f.time, 0.01, dw);
      CHECK(!inside(y));
    }
    CHECK(r.statistics.back().alive == options.particles - r.failures.size());
    CHECK(r.statistics.back().min[0] > -0.5);
  }
  SUBCASE("an exception in a functor") {
    const auto picky = sdekit::make_sde(
        [](double x, double) {
          if (x > 1.0) throw std::domain_error("drift undefined above 1");
          return -x;
        },
        [](double, double) { return 1.0; });
    const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, picky, 0.0, options);
    REQUIRE(!r.failures.empty());
    for (const auto& f : r.failures) {
      CHECK(f.reason == "drift undefined above 1");
      CHECK(f.last_state > 1.0);  // the step from this state called the drift there
    }
    CHECK(r.statistics.back().alive == options.particles - r.failures.size());
  }
  SUBCASE("invalid sampled initial states") {
    const auto r = sdekit::simulate_ensemble(
        sdekit::EulerMaruyama{}, ou_problem,
        [](std::size_t i, sdekit::RandomStream&) {
          return i % 100 == 3 ? std::numeric_limits<double>::quiet_NaN() : 1.0;
        },
        options);
    REQUIRE(r.failures.size() == 5);
    for (std::size_t f = 0; f < 5; ++f) {
      CHECK(r.failures[f].index == 100 * f + 3);
      CHECK(r.failures[f].time == 0.0);
    }
    CHECK(r.statistics.back().alive == options.particles - 5);
  }
}

TEST_CASE("per_particle gives each particle its own problem") {
  sdekit::EnsembleOptions options;
  options.particles = 50;
  options.seed = 6;
  options.t1 = 1.0;
  options.dt = 0.05;
  auto make = [](std::size_t i) {
    const double k = 0.5 + 0.1 * static_cast<double>(i);
    return sdekit::make_sde([k](double x, double) { return -k * x; }, [](double, double) { return 0.3; });
  };
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sdekit::per_particle(make), 1.0, options);
  sdekit::EulerMaruyama em;
  for (std::size_t i = 0; i < options.particles; ++i) {
    double x = 1.0;
    sdekit::integrate(em, make(i), x, 0.0, 1.0, 0.05, sdekit::GaussianNoise(6, i));
    CHECK(same_bits(x, r.values[0](0, static_cast<Eigen::Index>(i))));
  }
}

TEST_CASE("initial-state samplers draw from RandomStream(seed, i, 0)") {
  sdekit::EnsembleOptions options;
  options.particles = 20;
  options.seed = 12;
  options.t1 = 0.0;
  options.save_times = {0.0};
  const auto r = sdekit::simulate_ensemble(
      sdekit::EulerMaruyama{}, ou_problem, [](std::size_t, sdekit::RandomStream& rng) { return rng.normal(); },
      options);
  for (std::size_t i = 0; i < options.particles; ++i) {
    sdekit::RandomStream rng(12, i, 0);
    CHECK(same_bits(rng.normal(), r.values[0](0, static_cast<Eigen::Index>(i))));
  }
}

TEST_CASE("progress is reported once per block, increasing, ending at 1") {
  sdekit::EnsembleOptions options;
  options.particles = 1000;
  options.block_size = 64;
  options.threads = 2;
  options.schedule = sdekit::Schedule::dynamic_blocks;
  std::vector<double> seen;
  options.progress = [&](double f) { seen.push_back(f); };  // calls are serialised by the engine
  (void)sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 0.0, options);
  REQUIRE(seen.size() == 16);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] > seen[i - 1]);
  CHECK(seen.front() > 0.0);
  CHECK(seen.back() == 1.0);
}

TEST_CASE("simulate_process_ensemble is reproducible and uses RandomStream(seed, i, 1)") {
  // A discrete-time AR(1) map x' = 0.9x + rng.normal().
  const auto advance = [](double& x, double, double, sdekit::RandomStream& rng) { x = 0.9 * x + rng.normal(); };
  sdekit::EnsembleOptions options;
  options.particles = 333;
  options.seed = 21;
  options.t1 = 10.0;
  options.dt = 1.0;
  options.save_times = {5.0, 10.0};
  check_reproducible(
      options, [&](const sdekit::EnsembleOptions& o) { return sdekit::simulate_process_ensemble(0.0, advance, o); });
  const auto r = sdekit::simulate_process_ensemble(0.0, advance, options);
  sdekit::RandomStream rng(21, 100, 1);
  double x = 0.0;
  for (int k = 0; k < 10; ++k) x = 0.9 * x + rng.normal();
  CHECK(same_bits(x, r.values[1](0, 100)));
}

TEST_CASE("bad options throw std::invalid_argument naming the argument") {
  const sdekit::EulerMaruyama em;
  auto run = [&](sdekit::EnsembleOptions o, double x0 = 0.0) {
    return [=] { (void)sdekit::simulate_ensemble(em, ou_problem, x0, o); };
  };
  sdekit::EnsembleOptions o;
  o.particles = 0;
  check_throws_naming(run(o), "particles");
  o = {};
  o.block_size = 0;
  check_throws_naming(run(o), "block_size");
  o = {};
  o.threads = -1;
  check_throws_naming(run(o), "threads");
  o = {};
  o.keep_paths = {5, 1000};
  check_throws_naming(run(o), "keep_paths[1]");
  o = {};
  o.dt = 0.0;
  check_throws_naming(run(o), "dt");
  o = {};
  o.t1 = -1.0;
  check_throws_naming(run(o), "t1");
  o = {};
  o.save_times = {0.5, 2.0};
  check_throws_naming(run(o), "save_times[1]");
  o = {};
  check_throws_naming(run(o, std::numeric_limits<double>::infinity()), "x0");
  o = {};
  o.particles = 0;
  check_throws_naming(
      [=] {
        (void)sdekit::simulate_process_ensemble(
            0.0, [](double&, double, double, sdekit::RandomStream&) {}, o);
      },
      "particles");
}

TEST_CASE("EnsembleOptions is a RunOptions: the run fields are set and passed as one slice") {
  sdekit::RunOptions run;
  run.particles = 40;
  run.seed = 3;
  run.block_size = 7;
  run.schedule = sdekit::Schedule::dynamic_blocks;
  std::size_t calls = 0;
  run.progress = [&](double) { ++calls; };
  sdekit::EnsembleOptions options;
  static_cast<sdekit::RunOptions&>(options) = run;
  options.t1 = 0.5;
  CHECK(options.particles == 40);
  CHECK(options.schedule == sdekit::Schedule::dynamic_blocks);
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 0.0, options);
  CHECK(r.particles == 40);
  CHECK(calls == 6);  // ceil(40 / 7) blocks
  run.block_size = 0;
  check_throws_naming([&] { sdekit::detail::validate_run_options(run, "here"); }, "block_size");
}

TEST_CASE("results look up a save by its time") {
  sdekit::EnsembleOptions options;
  options.particles = 50;
  options.t1 = 1.0;
  options.dt = 0.1;
  options.save_times = {0.3, 0.7, 1.0};
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 0.0, options);
  CHECK(r.save_index(0.3) == 0);
  CHECK(r.save_index(0.1 * 7) == 1);  // 0.7000000000000001 is 0.7 up to rounding
  CHECK(r.save_index(1.0) == 2);
  CHECK(&r.at(0.7) == &r.statistics[1]);
  CHECK(r.at(1.0).time == 1.0);
  const std::string message = sdekit_test::message_of([&] { (void)r.at(0.5); });
  CHECK_MESSAGE(sdekit_test::contains(message, "t = 0.5"), message);
  CHECK_MESSAGE(sdekit_test::contains(message, "(0.3, 0.7, 1)"), message);
  check_throws_naming([&] { (void)r.save_index(0.31); }, "t = 0.31");
}

TEST_CASE("component and save indices of a result are checked") {
  sdekit::EnsembleOptions options;
  options.particles = 20;
  options.t1 = 0.2;
  options.save_times = {0.1, 0.2};
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou_problem, 0.0, options);
  const std::string message = sdekit_test::message_of([&] { (void)r.quantile(0, 1, 0.5); });
  CHECK_MESSAGE(sdekit_test::contains(message, "component = 1 must be below the dimension 1"), message);
  check_throws_naming([&] { (void)r.component_values(0, 3); }, "component = 3");
  check_throws_naming([&] { (void)r.histogram(0, 2, 10, -1.0, 1.0); }, "component = 2");
  check_throws_naming([&] { (void)r.quantile(2, 0, 0.5); }, "save = 2");
  check_throws_naming([&] { (void)r.component_values(5); }, "save = 5");
  check_throws_naming([&] { (void)r.states(2); }, "save = 2");
  CHECK(r.component_values(1, 0).size() == 20);
}

TEST_CASE("both entry points fail a bad initial state with the same specific reason") {
  sdekit::EnsembleOptions options;
  options.particles = 10;
  options.t1 = 0.1;
  auto x0 = [](std::size_t i, sdekit::RandomStream&) -> Eigen::VectorXd {
    if (i == 3) return Eigen::VectorXd::Constant(2, std::numeric_limits<double>::quiet_NaN());
    if (i == 6) return Eigen::VectorXd::Zero(3);
    return Eigen::VectorXd::Zero(2);
  };
  const auto vector_ou =
      sdekit::make_sde([](const Eigen::VectorXd& x, double) { return Eigen::VectorXd(-x); },
                       [](const Eigen::VectorXd& x, double) { return Eigen::VectorXd::Ones(x.size()); });
  const auto sde = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, vector_ou, x0, options);
  const auto process = sdekit::simulate_process_ensemble(
      x0, [](Eigen::VectorXd& x, double, double, sdekit::RandomStream& rng) { x[0] += rng.normal(); }, options);
  for (const auto* r : {&sde, &process}) {
    REQUIRE(r->failures.size() == 2);
    CHECK(r->failures[0].index == 3);
    CHECK(r->failures[0].reason == "non-finite initial state");
    CHECK(r->failures[1].index == 6);
    CHECK(r->failures[1].reason == "initial state has 3 components, particle 0 has 2");
  }
}

TEST_CASE("failure_reason is the one validity check and names the reason") {
  const auto positive = [](double x) { return x > 0; };
  CHECK(sdekit::detail::failure_reason(1.0, positive) == nullptr);
  CHECK(std::string(sdekit::detail::failure_reason(-1.0, positive)) == "left the domain");
  CHECK(std::string(sdekit::detail::failure_reason(std::numeric_limits<double>::infinity(), positive)) ==
        "non-finite state");
  CHECK(std::string(sdekit::detail::failure_reason(V2(1.0, std::nan("")), sdekit::AnyState{})) == "non-finite state");
}
