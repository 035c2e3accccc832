// Model fitting: series simulated with sdekit from known parameters are fitted back within 3 standard errors;
// the OU closed form and the numerical optimiser agree; the likelihoods equal sums of normal log-densities.
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/forecast/fit.hpp>
#include <sdekit/forecast/timeseries_csv.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;

namespace {

// One path of a Markov process observed at `times`, by simulate_process_ensemble with steps between the times.
template <class Advance>
std::vector<double> observe(double x0, const std::vector<double>& times, std::uint64_t seed, const Advance& advance) {
  EnsembleOptions o;
  o.particles = 1;
  o.seed = seed;
  o.t0 = times.front();
  o.t1 = times.back();
  o.dt = o.t1 - o.t0;  // the save times then are the only step boundaries
  o.save_times = times;
  const auto r = simulate_process_ensemble(x0, advance, o);
  std::vector<double> x(times.size());
  for (std::size_t k = 0; k < times.size(); ++k) x[k] = r.values[k](0, 0);
  return x;
}

// The exact OU transition over [t0, t1].
std::vector<double> simulate_ou(double kappa, double mu, double sigma, const std::vector<double>& times, double x0,
                                std::uint64_t seed) {
  return observe(x0, times, seed, [=](double& x, double t0, double t1, RandomStream& rng) {
    const double h = t1 - t0;
    x = mu + (x - mu) * std::exp(-kappa * h) +
        sigma * std::sqrt(-std::expm1(-2 * kappa * h) / (2 * kappa)) * rng.normal();
  });
}

// The exact GBM transition.
std::vector<double> simulate_gbm(double mu, double sigma, const std::vector<double>& times, double x0,
                                 std::uint64_t seed) {
  return observe(x0, times, seed, [=](double& x, double t0, double t1, RandomStream& rng) {
    const double h = t1 - t0;
    x *= std::exp((mu - 0.5 * sigma * sigma) * h + sigma * std::sqrt(h) * rng.normal());
  });
}

std::vector<double> regular_times(std::size_t n, double step) {
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<double>(i) * step;
  return t;
}

double z_score(const FitResult& fit, const std::string& name, double truth) {
  return (fit.parameter(name) - truth) / fit.standard_error(name);
}

double normal_log_density(double x, double mean, double variance) {
  return -0.5 * std::log(2 * std::numbers::pi * variance) - 0.5 * (x - mean) * (x - mean) / variance;
}

}  // namespace

TEST_CASE("the exact likelihoods are sums of normal log-densities") {
  const std::vector<double> t{0.0, 0.5, 1.5};
  const std::vector<double> x{1.0, 1.4, 0.9};
  const double kappa = 0.7, mu = 1.2, sigma = 0.3;
  double expected = 0;
  for (int i = 0; i < 2; ++i) {
    const double h = t[i + 1] - t[i];
    expected += normal_log_density(x[i + 1], mu + (x[i] - mu) * std::exp(-kappa * h),
                                   sigma * sigma * (1 - std::exp(-2 * kappa * h)) / (2 * kappa));
  }
  CHECK(ou_log_likelihood(t, x, kappa, mu, sigma) == doctest::Approx(expected).epsilon(1e-13));
  // κ → 0 is Brownian motion: variance σ²h.
  CHECK(ou_log_likelihood(t, x, 0.0, mu, sigma) ==
        doctest::Approx(normal_log_density(1.4, 1.0, 0.09 * 0.5) + normal_log_density(0.9, 1.4, 0.09)).epsilon(1e-13));
  double gbm = 0;
  for (int i = 0; i < 2; ++i) {
    const double h = t[i + 1] - t[i];
    // density of x = exp(log x): the log-normal density.
    gbm +=
        normal_log_density(std::log(x[i + 1]), std::log(x[i]) + (0.1 - 0.5 * 0.04) * h, 0.04 * h) - std::log(x[i + 1]);
  }
  CHECK(gbm_log_likelihood(t, x, 0.1, 0.2) == doctest::Approx(gbm).epsilon(1e-13));
  const auto drift = [](double y, double, const Eigen::VectorXd& p) { return p[0] * (p[1] - y); };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[2]; };
  CHECK(euler_log_likelihood(std::span<const double>(t), std::span<const double>(x), drift, diffusion,
                             Eigen::Vector3d(kappa, mu, sigma)) ==
        doctest::Approx(normal_log_density(1.4, 1.0 + 0.7 * 0.2 * 0.5, 0.09 * 0.5) +
                        normal_log_density(0.9, 1.4 + 0.7 * (1.2 - 1.4) * 1.0, 0.09))
            .epsilon(1e-13));
  CHECK(std::isinf(euler_log_likelihood(std::span<const double>(t), std::span<const double>(x), drift, diffusion,
                                        Eigen::Vector3d(kappa, mu, 0.0))));
}

TEST_CASE("OU closed form: recovery within 3 standard errors, calibrated standard errors") {
  const double kappa = 0.8, mu = 5.0, sigma = 1.2;
  const auto t = regular_times(2000, 0.25);
  const auto x = simulate_ou(kappa, mu, sigma, t, 3.0, 11);
  const FitResult fit = fit_ornstein_uhlenbeck(t, x);
  CHECK(fit.kind == ModelKind::ornstein_uhlenbeck);
  CHECK(fit.method.find("closed form") == 0);
  CHECK(std::abs(z_score(fit, "kappa", kappa)) < 3);
  CHECK(std::abs(z_score(fit, "mu", mu)) < 3);
  CHECK(std::abs(z_score(fit, "sigma", sigma)) < 3);
  CHECK(fit.observations == 1999);
  CHECK(fit.aic == doctest::Approx(6 - 2 * fit.log_likelihood));
  CHECK(fit.bic == doctest::Approx(3 * std::log(1999.0) - 2 * fit.log_likelihood));
  CHECK(fit.log_likelihood ==
        doctest::Approx(ou_log_likelihood(t, x, fit.parameters[0], fit.parameters[1], fit.parameters[2])));

  // Over 200 independent series the squared z-scores average 1 (SE of that mean: sqrt(2/200) = 0.1; allow 5).
  double z2[3] = {0, 0, 0};
  const int replicates = 200;
  const auto ts = regular_times(500, 0.25);
  for (int r = 0; r < replicates; ++r) {
    const FitResult f = fit_ornstein_uhlenbeck(ts, simulate_ou(kappa, mu, sigma, ts, mu, 1000 + r));
    z2[0] += std::pow(z_score(f, "kappa", kappa), 2) / replicates;
    z2[1] += std::pow(z_score(f, "mu", mu), 2) / replicates;
    z2[2] += std::pow(z_score(f, "sigma", sigma), 2) / replicates;
  }
  for (double m : z2) CHECK(std::abs(m - 1) < 0.5);
}

TEST_CASE("OU: the numerical optimiser agrees with the closed form on regular data") {
  const auto t = regular_times(400, 1.0);
  const auto x = simulate_ou(0.4, 900.0, 120.0, t, 1100.0, 21);  // Nile-like scale: level 900, rate 0.4
  const FitResult closed = fit_ornstein_uhlenbeck(t, x);
  FitOptions o;
  o.force_numerical = true;
  const FitResult numerical = fit_ornstein_uhlenbeck(t, x, o);
  CHECK(numerical.method.find("NLopt") == 0);
  CHECK(numerical.converged);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(numerical.parameters[i] == doctest::Approx(closed.parameters[i]).epsilon(1e-5));
    // Observed information in (κ, μ, σ) by finite differences vs delta method of the exact regression information.
    CHECK(numerical.standard_errors[i] == doctest::Approx(closed.standard_errors[i]).epsilon(1e-2));
  }
  CHECK(numerical.log_likelihood == doctest::Approx(closed.log_likelihood).epsilon(1e-10));
  CHECK(numerical.log_likelihood >= closed.log_likelihood - 1e-8);
}

TEST_CASE("OU with irregular steps: exact likelihood maximised numerically, recovery within 3 SE") {
  std::vector<double> t{0.0};
  RandomStream gaps(5, 0, 0);
  while (t.size() < 1500) t.push_back(t.back() + 0.05 + 0.5 * gaps.uniform());
  const double kappa = 1.5, mu = -2.0, sigma = 0.6;
  const auto x = simulate_ou(kappa, mu, sigma, t, 0.0, 31);
  const FitResult fit = fit_ornstein_uhlenbeck(t, x);
  CHECK(fit.method.find("NLopt") == 0);
  CHECK(fit.converged);
  CHECK(std::abs(z_score(fit, "kappa", kappa)) < 3);
  CHECK(std::abs(z_score(fit, "mu", mu)) < 3);
  CHECK(std::abs(z_score(fit, "sigma", sigma)) < 3);
  // The optimum is a maximum: nudging any parameter by 0.1 SE lowers the likelihood.
  for (int i = 0; i < 3; ++i) {
    Eigen::Vector3d p = fit.parameters;
    p[i] += 0.1 * fit.standard_errors[i];
    CHECK(ou_log_likelihood(t, x, p[0], p[1], p[2]) < fit.log_likelihood);
  }
}

TEST_CASE("GBM through log-returns: recovery within 3 SE, also with irregular steps") {
  const double mu = 0.08, sigma = 0.25;
  const auto t = regular_times(3000, 1.0 / 52);
  const auto x = simulate_gbm(mu, sigma, t, 100.0, 41);
  const FitResult fit = fit_geometric_brownian_motion(t, x);
  CHECK(fit.kind == ModelKind::geometric_brownian_motion);
  CHECK(std::abs(z_score(fit, "mu", mu)) < 3);
  CHECK(std::abs(z_score(fit, "sigma", sigma)) < 3);
  // SE(σ) = σ/sqrt(2n) exactly at the estimate.
  CHECK(fit.standard_error("sigma") == doctest::Approx(fit.parameter("sigma") / std::sqrt(2.0 * 2999)));
  // The closed form is the maximum: the likelihood is lower 0.1 SE away in each direction.
  for (int i = 0; i < 2; ++i)
    for (double s : {-0.1, 0.1}) {
      Eigen::Vector2d p = fit.parameters;
      p[i] += s * fit.standard_errors[i];
      CHECK(gbm_log_likelihood(t, x, p[0], p[1]) < fit.log_likelihood);
    }

  std::vector<double> ti{0.0};
  RandomStream gaps(6, 0, 0);
  while (ti.size() < 3000) ti.push_back(ti.back() + 0.01 + 0.03 * gaps.uniform());
  const FitResult irregular = fit_geometric_brownian_motion(ti, simulate_gbm(mu, sigma, ti, 50.0, 42));
  CHECK(std::abs(z_score(irregular, "mu", mu)) < 3);
  CHECK(std::abs(z_score(irregular, "sigma", sigma)) < 3);
}

TEST_CASE("AIC prefers the model that generated the data") {
  const auto t = regular_times(300, 1.0);
  const auto ou = simulate_ou(0.5, 100.0, 5.0, t, 100.0, 51);
  CHECK(fit_ornstein_uhlenbeck(t, ou).aic < fit_geometric_brownian_motion(t, ou).aic);
  const auto gbm = simulate_gbm(0.05, 0.3, t, 100.0, 52);
  CHECK(fit_geometric_brownian_motion(t, gbm).aic < fit_ornstein_uhlenbeck(t, gbm).aic);
}

TEST_CASE("Euler pseudo-likelihood: a nonlinear double-well model is recovered within 3 SE") {
  // dX = (αX − βX³)dt + σ dW simulated by Euler–Maruyama at dt = 5e-4, observed every Δ = 5e-3 (T = 100): the
  // Euler bias of the estimates at Δ is O(Δ), about 0.5 % of σ, below its standard error of 0.5 %.
  const double alpha = 1.0, beta = 1.0, sigma = 0.7;
  auto sde = make_sde([=](double x, double) { return alpha * x - beta * x * x * x; },
                      [=](double, double) { return sigma; }, additive);
  EnsembleOptions o;
  o.particles = 1;
  o.seed = 61;
  o.t1 = 100.0;
  o.dt = 5e-4;
  const auto t = regular_times(20001, 5e-3);
  o.save_times = t;
  const auto r = simulate_ensemble(EulerMaruyama{}, sde, 0.5, o);
  std::vector<double> x(t.size());
  for (std::size_t k = 0; k < t.size(); ++k) x[k] = r.values[k](0, 0);

  const auto drift = [](double y, double, const Eigen::VectorXd& p) { return p[0] * y - p[1] * y * y * y; };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[2]; };
  ParameterSpec spec{{"alpha", "beta", "sigma"},
                     Eigen::Vector3d(0.3, 0.3, 1.5),
                     Eigen::Vector3d(-10, -10, 0),
                     Eigen::Vector3d(10, 10, 10)};
  const FitResult fit = fit_euler(t, x, drift, diffusion, spec);
  CHECK(fit.kind == ModelKind::custom);
  CHECK(fit.converged);
  CHECK(std::abs(z_score(fit, "alpha", alpha)) < 3);
  CHECK(std::abs(z_score(fit, "beta", beta)) < 3);
  CHECK(std::abs(z_score(fit, "sigma", sigma)) < 3);
  CHECK(fit.standard_error("alpha") < 0.25);  // the test has power: an error of 0.75 in α or β would fail it
  CHECK(fit.standard_error("beta") < 0.25);
  CHECK(fit.aic == doctest::Approx(6 - 2 * fit.log_likelihood));
}

TEST_CASE("Euler pseudo-likelihood with irregular steps: OU data, close to the exact fit") {
  // Gaps of 0.005–0.02 against 1/κ = 0.67: the Euler biases are about κΔ/2 ≈ 1 % relative — a tenth of the SE of
  // κ and μ, but more than the SE of σ (0.3 %), so σ is held to the exact fit within 1.5 % instead.
  std::vector<double> t{0.0};
  RandomStream gaps(8, 0, 0);
  while (t.size() < 6000) t.push_back(t.back() + 0.005 + 0.015 * gaps.uniform());
  const double kappa = 1.5, mu = -2.0, sigma = 0.6;
  const auto x = simulate_ou(kappa, mu, sigma, t, -1.0, 71);
  const auto drift = [](double y, double, const Eigen::VectorXd& p) { return p[0] * (p[1] - y); };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[2]; };
  ParameterSpec spec{{"kappa", "mu", "sigma"}, Eigen::Vector3d(1.0, 0.0, 1.0), Eigen::Vector3d(0, -100, 0), {}};
  const FitResult euler = fit_euler(t, x, drift, diffusion, spec);
  const FitResult exact = fit_ornstein_uhlenbeck(t, x);
  CHECK(euler.converged);
  const std::vector<std::pair<std::string, double>> truth{{"kappa", kappa}, {"mu", mu}, {"sigma", sigma}};
  for (const auto& [name, value] : truth) {
    CAPTURE(name);
    CHECK(std::abs(z_score(euler, name, value)) < 3);
    if (name != "sigma")
      CHECK(std::abs(euler.parameter(name) - exact.parameter(name)) < 0.3 * exact.standard_error(name));
    else CHECK(euler.parameter(name) == doctest::Approx(exact.parameter(name)).epsilon(0.015));
    CHECK(euler.standard_error(name) == doctest::Approx(exact.standard_error(name)).epsilon(0.05));
  }
}

TEST_CASE("warnings: OU on the CO2 trend is poorly identified, and the fit says so (issue 16)") {
  // Weekly Mauna Loa CO2 1958-2001 with its 59 gaps dropped (irregular steps: the numerical fit). A trend is not
  // mean reversion: κ̂ = 0.0055 ± 0.025, which used to come back "converged" with no remark.
  CsvReadOptions o;
  o.missing = MissingValues::drop;
  const TimeSeries co2 = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/co2/co2.csv", o);
  const FitResult fit = fit_ornstein_uhlenbeck(co2.times, co2.values[0]);
  CAPTURE(fit.parameter("kappa"));
  CAPTURE(fit.standard_error("kappa"));
  CHECK(fit.converged);
  REQUIRE(fit.warnings.size() == 1);
  CHECK(sdekit_test::contains(fit.warnings[0], "kappa"));
  CHECK(sdekit_test::contains(fit.warnings[0], "larger than its magnitude"));
  // μ's standard error (1e3) is larger still, but a location near nothing in particular is not flagged; and a
  // well identified fit has no warning.
  const auto t = regular_times(400, 1.0);
  FitOptions numerical;
  numerical.force_numerical = true;
  CHECK(fit_ornstein_uhlenbeck(t, simulate_ou(0.4, 900.0, 120.0, t, 1100.0, 21), numerical).warnings.empty());
}

TEST_CASE("fitting errors name the argument") {
  const std::vector<double> t{0, 1, 2, 3};
  const std::vector<double> x{1, 2, 1.5, 1.7};
  check_throws_naming([&] { fit_ornstein_uhlenbeck(std::vector<double>{0, 1, 2}, x); }, "times.size()");
  check_throws_naming(
      [&] {
        fit_ornstein_uhlenbeck(std::vector<double>{0, 1}, std::vector<double>{1, 2});
      },
      "values.size()");
  check_throws_naming([&] { fit_ornstein_uhlenbeck(std::vector<double>{0, 1, 1, 2}, x); }, "times[2]");
  check_throws_naming([&] { fit_ornstein_uhlenbeck(t, std::vector<double>{1, NAN, 2, 3}); }, "values[1]");
  check_throws_naming([&] { fit_ornstein_uhlenbeck(t, std::vector<double>{1, 2, 3, 4}); }, "lag-one regression slope");
  check_throws_naming([&] { fit_geometric_brownian_motion(t, std::vector<double>{1, -2, 3, 4}); }, "values[1]");
  const auto drift = [](double y, double, const Eigen::VectorXd& p) { return -p[0] * y; };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[1]; };
  check_throws_naming(
      [&] {
        fit_euler(t, x, drift, diffusion, ParameterSpec{{"a"}, Eigen::Vector2d(1, 1), {}, {}});
      },
      "spec.names.size()");
  check_throws_naming(
      [&] {
        fit_euler(t, x, drift, diffusion,
                  ParameterSpec{{"a", "s"}, Eigen::Vector2d(1, -1), Eigen::Vector2d(0, 0), Eigen::Vector2d(5, 5)});
      },
      "spec.initial[1]");
  check_throws_naming(
      [&] {
        fit_euler(t, x, drift, diffusion, ParameterSpec{{"a", "s"}, Eigen::Vector2d(1, 0), {}, {}});
      },
      "log-likelihood at spec.initial");
  const FitResult fit = fit_geometric_brownian_motion(t, x);
  check_throws_naming([&] { (void)fit.parameter("kappa"); }, "name = kappa");
}
