// The compiled snippets of docs/forecasting.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <span>
#include <vector>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  // Data: one path of the double well dX = (X − X³)dt + 0.7 dW, observed every 0.01 up to t = 40.
  auto sde = sdekit::make_sde([](double x, double) { return x - x * x * x; }, [](double, double) { return 0.7; },
                              sdekit::additive);
  std::vector<double> t;
  for (int k = 0; k <= 4000; ++k) t.push_back(0.01 * k);
  sdekit::EnsembleOptions o;
  o.particles = 1;
  o.seed = 61;
  o.t1 = t.back();
  o.dt = 1e-3;
  o.save_times = t;
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, 0.5, o);
  std::vector<double> x(t.size());
  for (std::size_t k = 0; k < t.size(); ++k) x[k] = r.values[k](0, 0);

  //[ fit_euler
  const auto drift = [](double y, double, const Eigen::VectorXd& p) { return p[0] * y - p[1] * y * y * y; };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[2]; };
  sdekit::ParameterSpec spec{{"alpha", "beta", "sigma"},
                             Eigen::Vector3d(0.3, 0.3, 1.5),
                             Eigen::Vector3d(-10, -10, 0),
                             Eigen::Vector3d(10, 10, 10)};
  const sdekit::FitResult fit = sdekit::fit_euler(t, x, drift, diffusion, spec);
  //]
  check(fit.converged, "the fit converges");
  // σ is well determined by 4000 increments (standard error about 1 %); a 5 % band leaves room for the Euler bias.
  check(std::abs(fit.parameter("sigma") - 0.7) < 0.05 * 0.7, "sigma is recovered");

  // Closed-form and ensemble forecasts of a fitted OU model, every 1 time unit up to 5 ahead.
  std::vector<double> coarse_t, coarse_x;
  for (std::size_t k = 0; k < t.size(); k += 50) {
    coarse_t.push_back(t[k]);
    coarse_x.push_back(x[k]);
  }
  //[ closed_form
  const sdekit::FitResult ou = sdekit::fit_ornstein_uhlenbeck(coarse_t, coarse_x);
  const std::vector<double> horizons{1, 2, 3, 4, 5};
  const std::vector<double> levels{0.8, 0.95};  // forecast_closed_form takes the levels, not ForecastOptions
  const sdekit::Forecast exact = sdekit::forecast_closed_form(ou, coarse_t.back(), coarse_x.back(), horizons, levels);
  const sdekit::Interval band = exact.interval(4, 0.95);  // 95 % interval 5 time units ahead
  //]
  check(band.lower < exact.points[4].median && exact.points[4].median < band.upper, "the median is inside the band");

  //[ rolling_backtest
  // A forecaster takes the training window and the horizons as std::span<const double> and returns a Forecast
  // with samples (the backtest scores their CRPS): here OU refitted at each origin, 500 particles.
  auto ou_forecaster = [](std::span<const double> train_t, std::span<const double> train_x,
                          std::span<const double> ahead) {
    sdekit::ForecastOptions fo;
    fo.particles = 500;
    fo.levels = {0.8};
    return sdekit::forecast(sdekit::fit_ornstein_uhlenbeck(train_t, train_x), train_t.back(), train_x.back(), ahead,
                            fo);
  };
  sdekit::BacktestOptions bo;
  bo.first_origin = 40;
  bo.horizon = 3;
  bo.forecast.levels = {0.8};
  const sdekit::BacktestResult bt = sdekit::rolling_backtest(coarse_t, coarse_x, ou_forecaster, bo);
  // bt.rows[k]: coverage, crps, mae of k + 1 steps ahead, and the naive random walk's on the same origins
  //]
  check(bt.origins > 0 && bt.rows[0].crps > 0, "the backtest scored some origins");

  // The same double well seen through noise: every 0.5 time units, y = x + ε with sd 0.2 (deterministic noise).
  std::vector<double> ts, ys;
  for (std::size_t k = 0; k < t.size(); k += 50) {
    ts.push_back(t[k]);
    ys.push_back(x[k] + 0.2 * sdekit::standard_normal(7, 0, k, 0));
  }
  //[ nonlinear_state_space
  // dX = (α X − β X³) dt + σ dW observed as Y = X + ε, ε ~ N(0, τ²): a grey-box model with a fixed-size state.
  using State = Eigen::Matrix<double, 1, 1>;
  auto double_well = [](const Eigen::VectorXd& p) {
    return sdekit::make_nonlinear_sde_model(
        [a = p[0], b = p[1]](const State& s, double) -> State { return State(a * s[0] - b * s[0] * s[0] * s[0]); },
        [sigma = p[2]](const State&, double) -> State { return State(sigma); },
        [](const State& s, double) { return s[0]; },        // observation function h(x, t)
        Eigen::MatrixXd::Constant(1, 1, p[3] * p[3]),       // observation noise covariance R
        State(0.0), Eigen::MatrixXd::Constant(1, 1, 1.0));  // X(t_0) ~ N(0, 1)
  };
  const Eigen::Vector4d guess(1.0, 1.0, 0.5, 0.3);
  const double ekf_ll = sdekit::extended_kalman_filter(double_well(guess), ts, ys).log_likelihood;
  sdekit::ParticleFilterOptions pf;
  pf.particles = 2000;
  pf.seed = 3;
  const double pf_ll = sdekit::particle_filter(double_well(guess), ts, ys, pf).log_likelihood;
  const sdekit::ParameterSpec well_spec{
      {"alpha", "beta", "sigma", "tau"}, guess, Eigen::Vector4d(-5, 0, 0.01, 0.01), Eigen::Vector4d(5, 5, 5, 5)};
  const sdekit::FitResult well = sdekit::fit_nonlinear_ekf(ts, ys, double_well, well_spec);
  //]
  check(std::abs(ekf_ll - pf_ll) < 5.0, "the EKF and particle filter log-likelihoods are close on the double well");
  check(well.parameter("beta") > 0 && well.parameter("sigma") > 0.3 && well.parameter("sigma") < 1.2,
        "the EKF fit finds a double well with sigma near 0.7");

  //[ transform
  // Model log y, forecast on the log scale, and report and score on the original scale.
  const std::vector<double> yt{0, 1, 2, 3, 4, 5}, sales{10, 12, 11, 14, 13, 15};
  const std::vector<double> log_sales = sdekit::transform_values(sdekit::log_transform(), sales);
  const sdekit::LinearSdeModel level = sdekit::local_level_model(0.1, 0.05);
  const sdekit::KalmanResult filtered = sdekit::kalman_filter(level, yt, log_sales);
  const std::vector<double> next{1.0};
  const sdekit::StateSpaceForecast on_log = sdekit::forecast_state_space(level, filtered, next);
  const sdekit::Forecast on_sales = sdekit::back_transform(sdekit::log_transform(), on_log, yt.back());
  const double score = sdekit::crps_transformed_normal(sdekit::log_transform(), on_log.mean[0](0), on_log.sd(0), 16.0);
  //]
  check(on_sales.points[0].median > 13 && on_sales.points[0].median < 16 && score > 0 && score < 5,
        "the back-transformed forecast of the log local level is near the last values");

  return sdekit_snippets::failures;
}
