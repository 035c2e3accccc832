// Linear and nonlinear discrete-time processes: exact moments at several steps and the stationary law, each
// within 5 standard errors of 20000-particle ensembles; reproducibility across thread counts; every input error.
#include <sdekit/discrete/linear_process.hpp>
#include <sdekit/discrete/nonlinear_process.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

using sdekit_test::message_of;

namespace {

constexpr std::size_t n_particles = 20000;

sdekit::EnsembleOptions discrete_options(double t1, std::vector<double> saves, std::uint64_t seed = 7) {
  sdekit::EnsembleOptions o;
  o.particles = n_particles;
  o.seed = seed;
  o.t0 = 0;
  o.t1 = t1;
  o.dt = 1;
  o.save_times = std::move(saves);
  return o;
}

// |sample mean − m| ≤ 5 SE and |sample variance − v| ≤ 5 SE (Gaussian: SE of the variance is v·sqrt(2/(n−1))).
void check_gaussian_moments(const sdekit::SaveStatistics& s, double m, double v, std::size_t component = 0) {
  const double n = static_cast<double>(s.alive);
  const auto c = static_cast<Eigen::Index>(component);
  CHECK(std::abs(s.mean[c] - m) <= 5 * std::sqrt(v / n));
  CHECK(std::abs(s.variance[c] - v) <= 5 * v * std::sqrt(2 / (n - 1)));
}

}  // namespace

TEST_CASE("scalar linear process: exact mean and variance at several steps") {
  const auto ar = sdekit::make_linear_process(0.8, 1.0, 0.5);
  const double x0 = -3.0;
  const std::vector<double> saves{1, 2, 5, 10, 40};
  const auto result = sdekit::simulate_discrete_process(ar, x0, discrete_options(40, saves));
  REQUIRE(result.failures.empty());
  for (std::size_t s = 0; s < saves.size(); ++s) {
    const auto n = static_cast<std::uint64_t>(saves[s]);
    // The recursion by hand at step 1: a x0 + b and σ².
    if (n == 1) {
      CHECK(ar.mean_at(1, x0) == doctest::Approx(0.8 * x0 + 1.0));
      CHECK(ar.variance_at(1) == doctest::Approx(0.25));
    }
    check_gaussian_moments(result.statistics[s], ar.mean_at(n, x0), ar.variance_at(n));
  }
  // The stationary law b/(1−a) = 5 and σ²/(1−a²) = 0.25/0.36, reached to 1e-7 by step 40 from x0 = −3.
  CHECK(ar.stationary_mean() == doctest::Approx(5.0));
  CHECK(ar.stationary_variance() == doctest::Approx(0.25 / 0.36));
  check_gaussian_moments(result.statistics.back(), ar.stationary_mean(), ar.stationary_variance());
  // Started in the stationary law, the process stays there.
  const auto eq = sdekit::simulate_discrete_process(ar, ar.stationary_sampler(), discrete_options(3, {0, 3}, 11));
  check_gaussian_moments(eq.statistics[0], 5.0, 0.25 / 0.36);
  check_gaussian_moments(eq.statistics[1], 5.0, 0.25 / 0.36);
}

TEST_CASE("vector linear process: exact mean and covariance, stationary law") {
  Eigen::Matrix2d a;
  a << 0.5, 0.2, -0.1, 0.7;
  const Eigen::Vector2d b(1.0, -1.0);
  Eigen::Matrix2d sigma;
  sigma << 1.0, 0.3, 0.3, 0.5;
  const auto var = sdekit::make_linear_process(a, b, sigma);
  static_assert(std::is_same_v<std::decay_t<decltype(var)>, sdekit::VectorLinearProcess<2>>);
  const Eigen::Vector2d x0(4.0, 2.0);
  const std::vector<double> saves{1, 3, 10, 60};
  const auto result = sdekit::simulate_discrete_process(var, x0, discrete_options(60, saves));
  const double n = static_cast<double>(n_particles);
  for (std::size_t s = 0; s < saves.size(); ++s) {
    const auto k = static_cast<std::uint64_t>(saves[s]);
    const Eigen::Vector2d m = var.mean_at(k, x0);
    const Eigen::Matrix2d c = var.covariance_at(k);
    const auto& st = result.statistics[s];
    for (int i = 0; i < 2; ++i) {
      CHECK(std::abs(st.mean[i] - m[i]) <= 5 * std::sqrt(c(i, i) / n));
      for (int j = 0; j < 2; ++j) {
        // Gaussian: Var of the sample covariance is (C_ii C_jj + C_ij²)/n.
        CHECK(std::abs(st.covariance(i, j) - c(i, j)) <= 5 * std::sqrt((c(i, i) * c(j, j) + c(i, j) * c(i, j)) / n));
      }
    }
  }
  // The stationary covariance solves C = A C Aᵀ + Σ, and the mean (I − A) μ = b.
  const Eigen::Matrix2d cs = var.stationary_covariance();
  CHECK((a * cs * a.transpose() + sigma - cs).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(((Eigen::Matrix2d::Identity() - a) * var.stationary_mean() - b).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((var.covariance_at(200) - cs).cwiseAbs().maxCoeff() < 1e-12);
  const auto& last = result.statistics.back();
  for (int i = 0; i < 2; ++i) {
    CHECK(std::abs(last.mean[i] - var.stationary_mean()[i]) <= 5 * std::sqrt(cs(i, i) / n));
    CHECK(std::abs(last.variance[i] - cs(i, i)) <= 5 * cs(i, i) * std::sqrt(2 / (n - 1)));
  }
  // A 30-dimensional process with spectral radius 0.95: the stationary covariance solves its equation.
  Eigen::MatrixXd big = Eigen::MatrixXd::Zero(30, 30);
  for (int i = 0; i < 30; ++i) {
    big(i, i) = 0.95;
    if (i + 1 < 30) big(i, i + 1) = 0.3;  // non-normal: ‖Aᵏ‖ grows before it decays
  }
  const auto large = sdekit::make_linear_process(big, Eigen::VectorXd::Zero(30), 0.5);
  CHECK(large.spectral_radius() == doctest::Approx(0.95));
  const Eigen::MatrixXd cl = large.stationary_covariance();
  CHECK((big * cl * big.transpose() + 0.25 * Eigen::MatrixXd::Identity(30, 30) - cl).cwiseAbs().maxCoeff() <
        1e-10 * cl.cwiseAbs().maxCoeff());
  // Dynamic-size states give the same law (checked on the step-3 mean).
  const auto dyn = sdekit::make_linear_process(Eigen::MatrixXd(a), Eigen::VectorXd(b), Eigen::MatrixXd(sigma));
  const auto rd = sdekit::simulate_discrete_process(dyn, Eigen::VectorXd(x0), discrete_options(3, {3}, 5));
  const Eigen::Vector2d m3 = var.mean_at(3, x0);
  const Eigen::Matrix2d c3 = var.covariance_at(3);
  for (int i = 0; i < 2; ++i) CHECK(std::abs(rd.statistics[0].mean[i] - m3[i]) <= 5 * std::sqrt(c3(i, i) / n));
}

TEST_CASE("discrete-time ensembles are bitwise reproducible for 1 and 2 threads") {
  Eigen::Matrix2d a;
  a << 0.5, 0.2, -0.1, 0.7;
  const auto var = sdekit::make_linear_process(a, Eigen::Vector2d(1, 0), 0.3);
  auto o = discrete_options(20, {5, 20});
  o.particles = 3000;
  o.block_size = 64;
  o.threads = 1;
  const auto r1 = sdekit::simulate_discrete_process(var, Eigen::Vector2d(0, 0), o);
  o.threads = 2;
  o.schedule = sdekit::Schedule::dynamic_blocks;
  const auto r2 = sdekit::simulate_discrete_process(var, Eigen::Vector2d(0, 0), o);
  for (std::size_t s = 0; s < 2; ++s) {
    CHECK((r1.values[s].array() == r2.values[s].array()).all());
    CHECK((r1.statistics[s].covariance.array() == r2.statistics[s].covariance.array()).all());
  }
}

TEST_CASE("nonlinear process: exact moments of x_t = cos(x_{t-1}) + sigma z") {
  const double sigma = 0.6;
  const auto p = sdekit::make_nonlinear_process([](double x) { return std::cos(x); }, sigma);
  const double x0 = 0.4;
  const auto result = sdekit::simulate_discrete_process(p, x0, discrete_options(2, {1, 2}, 3));
  // Step 1: N(cos x0, σ²). Step 2: cos(c + σz) + σz' with c = cos x0, E cos(c + σz) = cos c · e^{−σ²/2},
  // E cos²(c + σz) = (1 + cos 2c · e^{−2σ²})/2.
  const double c = std::cos(x0);
  check_gaussian_moments(result.statistics[0], c, sigma * sigma);
  const double m2 = std::cos(c) * std::exp(-sigma * sigma / 2);
  const double v2 = (1 + std::cos(2 * c) * std::exp(-2 * sigma * sigma)) / 2 - m2 * m2 + sigma * sigma;
  const double n = static_cast<double>(n_particles);
  CHECK(std::abs(result.statistics[1].mean[0] - m2) <= 5 * std::sqrt(v2 / n));
  // Not Gaussian: bound the variance's SE by the fourth moment of the sample itself (|x| ≤ 1 + |σz|).
  CHECK(std::abs(result.statistics[1].variance[0] - v2) <= 5 * v2 * std::sqrt(3.0 / n));
}

TEST_CASE("nonlinear process: time-dependent map, state-dependent scale, custom noise") {
  // f(x, t) = x + t without noise: x_n = x0 + n(n+1)/2 exactly.
  const auto drift_only = sdekit::make_nonlinear_process([](double x, std::int64_t t) { return x + double(t); }, 0.0);
  auto o = discrete_options(10, {10});
  o.particles = 4;
  CHECK(sdekit::simulate_discrete_process(drift_only, 1.0, o).statistics[0].mean[0] == 56.0);
  // A linear map with scale σ(x) = 0.5 for every x is the linear process: same exact moments.
  const auto scaled = sdekit::make_nonlinear_process([](double x) { return 0.8 * x + 1; },
                                                     sdekit::gaussian_scale([](double) { return 0.5; }));
  const sdekit::LinearProcess ar(0.8, 1.0, 0.5);
  const auto rs = sdekit::simulate_discrete_process(scaled, 0.0, discrete_options(4, {4}, 9));
  check_gaussian_moments(rs.statistics[0], ar.mean_at(4, 0.0), ar.variance_at(4));
  // Uniform(−1, 1) noise through x ← x/2: stationary variance (1/3)/(1 − 1/4) = 4/9, mean 0.
  const auto uniform = sdekit::make_nonlinear_process(
      [](double x) { return 0.5 * x; },
      sdekit::custom_noise([](double, sdekit::RandomStream& rng) { return 2 * rng.uniform() - 1; }));
  const auto ru = sdekit::simulate_discrete_process(uniform, 0.0, discrete_options(40, {40}, 13));
  const double n = static_cast<double>(n_particles);
  CHECK(std::abs(ru.statistics[0].mean[0]) <= 5 * std::sqrt(4.0 / 9 / n));
  CHECK(std::abs(ru.statistics[0].variance[0] - 4.0 / 9) <= 5 * (4.0 / 9) * std::sqrt(2 / (n - 1)));
  // A vector state with a per-component scale.
  const auto vec = sdekit::make_nonlinear_process(
      [](const Eigen::Vector2d& x) { return Eigen::Vector2d(0.5 * x[0], -0.5 * x[1]); },
      sdekit::gaussian_scale([](const Eigen::Vector2d&) { return Eigen::Vector2d(1.0, 2.0); }));
  const auto rv = sdekit::simulate_discrete_process(vec, Eigen::Vector2d(0, 0), discrete_options(1, {1}, 17));
  check_gaussian_moments(rv.statistics[0], 0.0, 1.0, 0);
  check_gaussian_moments(rv.statistics[0], 0.0, 4.0, 1);
}

TEST_CASE("a nonlinear map that blows up fails its particles with a reason, the others go on") {
  const auto p = sdekit::make_nonlinear_process([](double x) { return 1.0 / x; }, 0.0);
  auto o = discrete_options(3, {3});
  o.particles = 10;
  const auto r = sdekit::simulate_discrete_process(
      p, [](std::size_t i, sdekit::RandomStream&) { return double(i); }, o);
  REQUIRE(r.failures.size() == 1);
  CHECK(r.failures[0].index == 0);
  CHECK(r.failures[0].reason == "non-finite state");
  CHECK(r.statistics[0].alive == 9);
}

TEST_CASE("linear and discrete-time input errors name the argument") {
  CHECK(message_of([] { sdekit::LinearProcess(1.0, 0.0, 1.0).stationary_mean(); }).find("a = 1") != std::string::npos);
  CHECK(message_of([] { sdekit::LinearProcess(-1.5, 0.0, 1.0).stationary_variance(); }).find("a = -1.5") !=
        std::string::npos);
  CHECK(message_of([] { sdekit::LinearProcess(0.5, 0.0, -1.0); }).find("sigma = -1") != std::string::npos);
  CHECK(message_of([] { sdekit::LinearProcess(NAN, 0.0, 1.0); }).find("a = nan") != std::string::npos);
  CHECK_THROWS_AS(sdekit::LinearProcess(1.0, 0.0, 1.0).stationary_mean(), std::invalid_argument);

  CHECK(message_of([] {
          sdekit::make_linear_process(Eigen::MatrixXd::Zero(2, 3), Eigen::VectorXd::Zero(2), 1.0);
        }).find("A.cols() = 3") != std::string::npos);
  CHECK(message_of([] {
          sdekit::make_linear_process(Eigen::MatrixXd::Zero(2, 2), Eigen::VectorXd::Zero(3), 1.0);
        }).find("b.size() = 3") != std::string::npos);
  Eigen::Matrix2d not_psd;
  not_psd << 1, 2, 2, 1;
  CHECK(message_of([&] {
          sdekit::make_linear_process(Eigen::Matrix2d::Zero(), Eigen::Vector2d::Zero(), not_psd);
        }).find("smallest eigenvalue of covariance = -") != std::string::npos);
  Eigen::Matrix2d asym;
  asym << 1, 0.5, 0, 1;
  CHECK(message_of([&] {
          sdekit::make_linear_process(Eigen::Matrix2d::Zero(), Eigen::Vector2d::Zero(), asym);
        }).find("covariance") != std::string::npos);
  Eigen::Matrix2d explosive;
  explosive << 0.5, 1.0, 0.0, 1.1;
  const auto boom = sdekit::make_linear_process(explosive, Eigen::Vector2d::Zero(), 1.0);
  CHECK(message_of([&] { boom.stationary_covariance(); }).find("spectral radius of A = 1.1") != std::string::npos);
  CHECK_THROWS_AS(boom.stationary_mean(), std::invalid_argument);

  CHECK(message_of([] {
          sdekit::make_linear_process(Eigen::Matrix2d::Zero(), Eigen::VectorXd::Zero(3), 1.0);
        }).find("b.size() = 3") != std::string::npos);
  CHECK(message_of([] {
          sdekit::make_linear_process(Eigen::Matrix2d::Zero(), Eigen::Vector2d::Zero(),
                                      Eigen::MatrixXd::Identity(3, 3));
        }).find("covariance.rows() = 3") != std::string::npos);
  const auto ar = sdekit::make_linear_process(0.5, 0.0, 1.0);
  auto o = discrete_options(10, {5});
  o.dt = 0.5;
  CHECK(message_of([&] { sdekit::simulate_discrete_process(ar, 0.0, o); }).find("dt = 0.5") != std::string::npos);
  o = discrete_options(10, {2.5});
  CHECK(message_of([&] { sdekit::simulate_discrete_process(ar, 0.0, o); }).find("save_times[0] = 2.5") !=
        std::string::npos);
  o = discrete_options(10.5, {});
  CHECK(message_of([&] { sdekit::simulate_discrete_process(ar, 0.0, o); }).find("t1 = 10.5") != std::string::npos);
  CHECK(message_of([] { sdekit::make_nonlinear_process([](double x) { return x; }, -2.0); }).find("sigma = -2") !=
        std::string::npos);
}
