// Maximum-likelihood fits of linear state-space SDE models: the Nile local level against statsmodels' optimum,
// CARMA(2,1) parameter recovery on irregular times with missing values, and the warnings of a poorly identified fit.
#include <sdekit/core/noise.hpp>
#include <sdekit/forecast/forecast.hpp>
#include <sdekit/forecast/state_space_fit.hpp>
#include <sdekit/forecast/timeseries_csv.hpp>

#include <Eigen/Cholesky>

#include <doctest/doctest.h>
#include "forecast/simulate_linear_sde.hpp"
#include "test_support.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using sdekit_test::simulate_linear_sde;
using sdekit_test::contains;
using namespace sdekit;

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("local level on the Nile: the maximum statsmodels finds, no warnings") {
  const TimeSeries ts = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv");
  const StateSpaceFit f = fit_local_level(ts.times, ts.values[0]);
  // tests/data/nile/local_level_reference.txt (statsmodels 0.13.5, Nelder–Mead with tight tolerances):
  // σ²_ε = 15098.518804, σ²_η = 1469.176236, log-likelihood −633.464563636246. The likelihood is flat along
  // the ridge, so the variances agree to 1e-3 and the maximum to 1e-6.
  CHECK(f.fit.log_likelihood > -633.464563636246 - 1e-6);
  CHECK(f.fit.log_likelihood < -633.464563636246 + 1e-6);
  CHECK(std::pow(f.fit.parameter("sigma_obs"), 2) == doctest::Approx(15098.518804).epsilon(1e-3));
  CHECK(std::pow(f.fit.parameter("sigma_level"), 2) == doctest::Approx(1469.176236).epsilon(1e-3));
  CHECK(f.fit.model == "local level");
  CHECK(f.fit.converged);
  CHECK(f.fit.warnings.empty());
  CHECK(f.fit.observations == 100);
  CHECK(f.fit.aic == doctest::Approx(4 - 2 * f.fit.log_likelihood));
  CHECK(f.fit.bic == doctest::Approx(2 * std::log(100.0) - 2 * f.fit.log_likelihood));
  CHECK(std::isfinite(f.fit.standard_error("sigma_level")));
  CHECK(f.filter.log_likelihood == doctest::Approx(f.fit.log_likelihood).epsilon(1e-14));
  // One year ahead: a Gaussian predictive whose CRPS is the closed form's.
  const std::vector<double> h{1.0};
  const StateSpaceForecast fc = forecast_state_space(f.model, f.filter, h);
  CHECK(crps_normal(fc.mean[0](0), fc.sd(0), 800.0) > 0);
}

TEST_CASE("local level + OU on the Nile equals statsmodels' local level + AR(1) at unit steps") {
  // At annual steps the OU component is an AR(1) with φ = e^{−κ} and innovation variance σ²(1 − φ²)/(2κ), and the
  // Brownian level a random walk: statsmodels' UnobservedComponents('local level', autoregressive=1) with exact
  // diffuse level is the same likelihood (tests/data/nile/local_level_reference.txt).
  const TimeSeries ts = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv");
  const double phi = 0.45, kappa = -std::log(phi);
  const double sigma = std::sqrt(12000.0 * 2 * kappa / (1 - phi * phi));
  const LinearSdeModel m =
      sum_of_components({local_level_model(std::sqrt(520.0), std::sqrt(7750.0)),
                         carma_model(Eigen::VectorXd::Constant(1, kappa), Eigen::VectorXd(), sigma, 0.0)});
  CHECK(std::abs(kalman_filter(m, ts.times, ts.values[0]).log_likelihood - -632.054205317971) < 1e-6);
  // Its maximum: statsmodels' Nelder–Mead reached −631.380254469251 at φ = 0.4733.
  const StateSpaceFit f = fit_local_level_plus_carma(ts.times, ts.values[0], 1, 0);
  CHECK(f.fit.model == "local level + CARMA(1,0)");
  CHECK(f.fit.log_likelihood > -631.380254469251 - 1e-6);
  CHECK(f.fit.log_likelihood < -631.380254469251 + 1e-4);
  CHECK(std::exp(-f.fit.parameter("a1")) == doctest::Approx(0.473307).epsilon(1e-2));
  CHECK(f.fit.observations == 100);
}

TEST_CASE("CARMA(2,1): recovery within 3 SE on irregular times with 10% missing values") {
  // Roots of the AR polynomial −0.4 ± 0.9i (a damped oscillation), MA root −1.5.
  const Eigen::Vector2d ar(0.8, 0.16 + 0.81);
  const double b0 = 1.5, sigma = 1.0, mu = 5.0;
  const LinearSdeModel truth = carma_model(ar, Eigen::VectorXd::Constant(1, b0), sigma, mu);
  RandomStream gaps(7, 0, 0);
  std::vector<double> t{0.0};
  while (t.size() < 600) t.push_back(t.back() + 0.3 + 0.7 * gaps.uniform());
  auto y = simulate_linear_sde(truth, t, 77);
  std::size_t dropped = 0;
  for (auto& v : y)
    if (gaps.uniform() < 0.1) {
      v = missing;
      ++dropped;
    }
  const StateSpaceFit f = fit_carma(t, y, 2, 1);
  CHECK(f.fit.model == "CARMA(2,1)");
  CHECK(f.fit.observations == 600 - dropped);
  CHECK(f.fit.converged);
  const std::vector<std::pair<std::string, double>> expected{
      {"a1", ar[0]}, {"a2", ar[1]}, {"b0", b0}, {"sigma", sigma}, {"mu", mu}};
  for (const auto& [name, value] : expected) {
    CAPTURE(name);
    CAPTURE(f.fit.parameter(name));
    CAPTURE(f.fit.standard_error(name));
    CHECK(std::abs(f.fit.parameter(name) - value) < 3 * f.fit.standard_error(name));
  }
  // Under the fitted model the standardised innovations have mean square 1 (SE sqrt(2/n) ≈ 0.06; allow 4.5 SE).
  double squares = 0;
  std::size_t count = 0;
  for (double z : f.filter.standardised_innovations)
    if (std::isfinite(z)) {
      squares += z * z;
      ++count;
    }
  CHECK(std::abs(squares / static_cast<double>(count) - 1) < 4.5 * std::sqrt(2.0 / static_cast<double>(count)));

  // Adding observation noise the data do not contain: its estimate goes to the edge of its domain and the fit
  // warns that it is not identified instead of reporting it as converged and sound.
  const StateSpaceFit noisy = fit_carma(t, y, 2, 1, true);
  CAPTURE(noisy.fit.parameter("sigma_obs"));
  bool warned = false;
  for (const auto& w : noisy.fit.warnings) warned = warned || contains(w, "sigma_obs");
  CHECK(warned);
  CHECK(noisy.fit.log_likelihood >= f.fit.log_likelihood - 1e-6);  // nested models: never worse
}

TEST_CASE("warnings: a level that does not move is at its bound, and the fit says so") {
  // White noise has no level variation: the local level's σ_level goes to its lower bound 0.
  RandomStream rng(3, 0, 0);
  std::vector<double> t(200), y(200);
  for (std::size_t i = 0; i < y.size(); ++i) {
    t[i] = static_cast<double>(i);
    y[i] = 10 + rng.normal();
  }
  const StateSpaceFit f = fit_local_level(t, y);
  CAPTURE(f.fit.parameter("sigma_level"));
  REQUIRE(!f.fit.warnings.empty());
  CHECK(contains(f.fit.warnings[0], "sigma_level"));
  CHECK(contains(f.fit.warnings[0], "lower bound"));
  // A fit with a clear level (the Nile) has none: see the first test case.
  check_throws_naming([&] { fit_carma(t, y, 5, 0); }, "p");
  check_throws_naming([&] { fit_carma(t, y, 2, 2); }, "q");
  std::vector<double> short_t{0.0, 1.0}, short_y{1.0, 2.0};
  check_throws_naming([&] { fit_local_level(short_t, short_y); }, "observed values");
}

TEST_CASE("local level + seasonal on El Nino: the maximum statsmodels finds") {
  // tests/data/elnino/seasonal_reference.txt: statsmodels' Nelder–Mead optimum of the same model (local level +
  // trigonometric seasonal, period 12, 2 harmonics, first 240 months) is log L = −176.413810477392 with both the
  // seasonal and irregular variances at 0. The fit must reach it (and not exceed it by more than rounding).
  const TimeSeries wide = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/elnino/elnino.csv");
  std::vector<double> y, t;
  for (std::size_t r = 0; r < 20; ++r)
    for (std::size_t month = 0; month < 12; ++month) {
      t.push_back(static_cast<double>(t.size()));
      y.push_back(wide.values[month][r]);
    }
  const StateSpaceFit fit = fit_local_level_plus_seasonal(t, y, 12.0, 2);
  CHECK(fit.fit.log_likelihood == doctest::Approx(-176.413810477392).epsilon(1e-7));
  CHECK(fit.fit.parameter("sigma_level") == doctest::Approx(std::sqrt(0.23555844)).epsilon(1e-3));
  CHECK(!fit.fit.warnings.empty());  // σ_seasonal and σ_obs sit on their bound 0, and the fit says so
  check_throws_naming([&] { (void)fit_local_level_plus_seasonal(t, y, -12.0, 2); }, "period");
}

TEST_CASE("multivariate OU: recovery within 3 SE from two observed components (fit_state_space, matrix data)") {
  // A coupled 2-D OU (rotation plus decay), both states observed with noise sd 0.2, 400 values at irregular times;
  // fitted: κ (4 entries), σ₁, σ₂; μ = 0 and the noise known.
  RandomStream rng(90, 0, 0);
  std::vector<double> t{0.0};
  while (t.size() < 400) t.push_back(t.back() + 0.2 + 0.6 * rng.uniform());
  const Eigen::Vector4d kappa_true(0.8, -0.6, 0.6, 0.5);  // row-major κ
  const Eigen::Vector2d sigma_true(0.7, 0.4);
  const auto build = [](const Eigen::VectorXd& p) {
    const Eigen::Matrix2d kappa = (Eigen::Matrix2d() << p[0], p[1], p[2], p[3]).finished();
    return multivariate_ou_model(kappa, Eigen::Vector2d::Zero(), Eigen::MatrixXd(Eigen::Vector2d(p[4], p[5]).asDiagonal()),
                                 Eigen::MatrixXd(), 0.04 * Eigen::MatrixXd::Identity(2, 2));
  };
  Eigen::VectorXd truth(6);
  truth << kappa_true, sigma_true;
  const LinearSdeModel model = build(truth);
  const InitialLaw law = resolve_initial_law(model);
  auto draw = [&](const Eigen::VectorXd& mean, const Eigen::MatrixXd& cov) {
    const Eigen::MatrixXd L = Eigen::LLT<Eigen::MatrixXd>(cov).matrixL();
    return Eigen::VectorXd(mean + L * Eigen::Vector2d(rng.normal(), rng.normal()));
  };
  Eigen::VectorXd x = draw(law.mean, law.covariance);
  Eigen::MatrixXd y(static_cast<Eigen::Index>(t.size()), 2);
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (k > 0) {
      const Discretisation d = discretise(model, t[k] - t[k - 1]);
      x = draw(d.Phi * x + d.c, d.Q);
    }
    y.row(static_cast<Eigen::Index>(k)) = (x + 0.2 * Eigen::Vector2d(rng.normal(), rng.normal())).transpose();
  }
  y(5, 0) = missing;
  y(9, 1) = missing;
  ParameterSpec spec;
  spec.names = {"k11", "k12", "k21", "k22", "sigma1", "sigma2"};
  spec.initial = (Eigen::VectorXd(6) << 1, 0, 0, 1, 0.5, 0.5).finished();
  spec.lower = (Eigen::VectorXd(6) << -5, -5, -5, -5, 1e-3, 1e-3).finished();
  spec.upper = (Eigen::VectorXd(6) << 5, 5, 5, 5, 5, 5).finished();
  const StateSpaceFit fit = fit_state_space(t, y, build, spec);
  CHECK(fit.fit.observations == 798);
  for (Eigen::Index i = 0; i < 6; ++i) {
    INFO(fit.fit.names[static_cast<std::size_t>(i)] << " = " << fit.fit.parameters[i] << " +- "
                                                     << fit.fit.standard_errors[i] << ", truth " << truth[i]);
    CHECK(std::abs(fit.fit.parameters[i] - truth[i]) < 3 * fit.fit.standard_errors[i]);
  }
}
