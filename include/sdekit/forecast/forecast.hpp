#pragma once
// Forecasting with fitted SDE models: an ensemble started at the last observation gives, per horizon, the mean,
// the median and central prediction intervals, optionally with the parameter uncertainty of the fit (each
// particle draws its own θ from the estimate's normal law). Closed forms for OU and GBM check the ensembles, and
// a rolling-origin backtest scores any forecaster against the naive random walk with coverage, CRPS and MAE.
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/fit.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/ensemble/statistics.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// Options of an ensemble forecast: the RunOptions fields of the ensemble (inherited: particles, seed — also of the
/// parameter draws —, threads, block_size, schedule, progress; only particles and seed change results), with
/// 4000 particles by default, and the forecast's own fields.
struct ForecastOptions : RunOptions {
  /// 4000 particles: the tails of the 95% interval need more than RunOptions' default of 1000.
  ForecastOptions() { particles = 4000; }
  std::vector<double> levels = {0.5, 0.8, 0.95};  ///< coverage levels of the central prediction intervals
  double dt = 0.0;                                ///< Euler–Maruyama step; 0: the smallest horizon gap / substeps
  std::size_t substeps = 20;                      ///< steps per smallest gap between horizons when dt = 0
  bool parameter_uncertainty = false;  ///< draw θ per particle from N(θ̂, covariance), truncated to bounds
};

namespace detail {
/// The index of `level` in `levels` (equal up to 1e-9); otherwise throws std::invalid_argument naming "level" and
/// listing the levels.
std::size_t level_index(std::span<const double> levels, double level, std::string_view where);
}  // namespace detail

/// A central prediction interval.
struct Interval {
  double lower = 0.0;  ///< lower end
  double upper = 0.0;  ///< upper end
};

/// The forecast distribution at one horizon.
struct ForecastPoint {
  double time = 0.0;          ///< the forecast time t0 + horizon
  double mean = 0.0;          ///< mean
  double sd = 0.0;            ///< standard deviation
  double median = 0.0;        ///< median (the point forecast scored by MAE)
  std::vector<double> lower;  ///< lower end of the central interval, one per level (Forecast::levels order)
  std::vector<double> upper;  ///< upper end, one per level
};

/// A forecast: one point per horizon, and (for ensembles) the particles' values.
struct Forecast {
  std::vector<double> levels;         ///< the interval levels
  std::vector<ForecastPoint> points;  ///< one per horizon
  /// Per horizon, the values of the surviving particles (ensembles that keep their states).
  std::vector<std::vector<double>> samples;
  std::size_t failed = 0;  ///< particles stopped by a non-finite state

  /// The index of `level` in levels; throws std::invalid_argument naming "level" and listing the levels.
  std::size_t level_index(double level) const { return detail::level_index(levels, level, "sdekit::Forecast"); }
  /// The central interval of `level` at points[point]; throws std::invalid_argument naming "point" or "level".
  Interval interval(std::size_t point, double level) const {
    constexpr const char* where = "sdekit::Forecast::interval";
    detail::require(point < points.size(), where, "point", point,
                    "must be below the number of points " + std::to_string(points.size()));
    const std::size_t l = detail::level_index(levels, level, where);
    return {points[point].lower[l], points[point].upper[l]};
  }
};

/// CRPS of an ensemble forecast for the outcome y: mean|X − y| − ½ mean|X − X'| over the samples (NaNs skipped).
double crps_ensemble(std::span<const double> samples, double y);

/// CRPS of the normal forecast N(mean, sd²) for the outcome y (Gneiting & Raftery 2007, closed form).
double crps_normal(double mean, double sd, double y);

/// The exact forecast of a fitted OU or GBM model from x0 at t0, at t0 + each horizon (no samples).
Forecast forecast_closed_form(const FitResult& fit, double t0, double x0, std::span<const double> horizons,
                              std::span<const double> levels = std::vector<double>{0.5, 0.8, 0.95});

/// The naive random-walk forecast N(x_last, s² h) with s² = Σ(Δx)² / ΣΔt over the training series (closed form).
Forecast forecast_random_walk(std::span<const double> train_times, std::span<const double> train_values,
                              std::span<const double> horizons,
                              std::span<const double> levels = std::vector<double>{0.5, 0.8, 0.95});

namespace detail {

/// A drift or diffusion f(x, t, θ) with θ bound: the plain a(x, t) functor an Sde needs.
template <class F>
struct WithParameters {
  F f;                    ///< the parametric functor
  Eigen::VectorXd theta;  ///< its parameters
  double operator()(double x, double t) const { return static_cast<double>(f(x, t, theta)); }
};

/// Checks horizons and options of a forecast and returns the Euler–Maruyama step to use.
double forecast_step(std::span<const double> horizons, const ForecastOptions& options, std::string_view where);

/// The quantile requests of a forecast: (1 − level)/2 and (1 + level)/2 per level, then the median.
std::vector<QuantileRequest> forecast_quantiles(std::span<const double> levels);

/// Fills points (mean, sd, median, intervals) from the ensemble statistics at each save time, whose quantiles from
/// index `first_quantile` on are forecast_quantiles(levels), and samples from the values (none when the ensemble
/// kept statistics only).
Forecast summarise_ensemble(const std::vector<SaveStatistics>& statistics, std::size_t first_quantile,
                            const std::vector<std::vector<double>>& values, double t0, std::span<const double> horizons,
                            std::span<const double> levels, std::size_t failed);

/// θ for particle i: a draw from N(θ̂, Σ) by its Cholesky factor, redrawn until inside the bounds (θ̂ after 100).
Eigen::VectorXd draw_parameters(const FitResult& fit, const Eigen::MatrixXd& cholesky_factor, std::uint64_t seed,
                                std::size_t particle);

/// The lower Cholesky factor of fit.covariance; throws std::invalid_argument if it is not positive definite.
Eigen::MatrixXd covariance_factor(const FitResult& fit, std::string_view where);

/// The OU drift κ(μ − x), θ = (kappa, mu, sigma).
struct OuDrift {
  double operator()(double x, double, const Eigen::VectorXd& p) const { return p[0] * (p[1] - x); }
};
/// The OU diffusion σ.
struct OuDiffusion {
  double operator()(double, double, const Eigen::VectorXd& p) const { return p[2]; }
};
/// The GBM drift μx, θ = (mu, sigma).
struct GbmDrift {
  double operator()(double x, double, const Eigen::VectorXd& p) const { return p[0] * x; }
};
/// The GBM diffusion σx.
struct GbmDiffusion {
  double operator()(double x, double, const Eigen::VectorXd& p) const { return p[1] * x; }
};

}  // namespace detail

/// Ensemble forecast of a fitted model with drift a(x,t;θ) and diffusion b(x,t;θ) (Euler–Maruyama, scalar state)
/// from x0 at t0 to t0 + each horizon (positive, increasing): mean, sd, median and intervals per horizon.
template <class Drift, class Diffusion>
Forecast forecast_ensemble(const Drift& drift, const Diffusion& diffusion, const FitResult& fit, double t0, double x0,
                           std::span<const double> horizons, const ForecastOptions& options = {}) {
  constexpr const char* where = "sdekit::forecast_ensemble";
  const double dt = detail::forecast_step(horizons, options, where);
  detail::require(std::isfinite(x0), where, "x0", x0, "must be finite");
  detail::require(std::isfinite(t0), where, "t0", t0, "must be finite");
  detail::require(fit.parameters.size() > 0 && fit.parameters.allFinite(), where, "fit.parameters", fit.parameters,
                  "must be a non-empty finite estimate");
  EnsembleOptions ensemble;
  static_cast<RunOptions&>(ensemble) = options;  // the whole slice (schedule and progress included)
  ensemble.distribution = detail::collecting_all(ensemble.distribution);  // every process summarises all particles
  ensemble.t0 = t0;
  ensemble.t1 = t0 + horizons.back();
  ensemble.dt = dt;
  for (double h : horizons) ensemble.save_times.push_back(t0 + h);
  const EulerMaruyama stepper;

  // Quantiles come from the ensemble's statistics, so a statistics-only forecast (options.statistics.storage) gives
  // the same points as a stored one, without samples.
  const std::size_t first_quantile = ensemble.statistics.quantiles.size();
  for (const QuantileRequest& q : detail::forecast_quantiles(options.levels))
    ensemble.statistics.quantiles.push_back(q);
  auto run = [&](const auto& problem) {
    const auto result = simulate_ensemble(stepper, problem, x0, ensemble);
    std::vector<std::vector<double>> values;
    if (!result.statistics_only)
      for (std::size_t k = 0; k < horizons.size(); ++k) values.push_back(result.component_values(k));
    return detail::summarise_ensemble(result.statistics, first_quantile, values, t0, horizons, options.levels,
                                      result.failures.size());
  };
  if (!options.parameter_uncertainty) {
    return run(make_sde(detail::WithParameters<Drift>{drift, fit.parameters},
                        detail::WithParameters<Diffusion>{diffusion, fit.parameters}));
  }
  const Eigen::MatrixXd factor = detail::covariance_factor(fit, where);
  return run(per_particle([&](std::size_t i) {
    const Eigen::VectorXd theta = detail::draw_parameters(fit, factor, options.seed, i);
    return make_sde(detail::WithParameters<Drift>{drift, theta}, detail::WithParameters<Diffusion>{diffusion, theta});
  }));
}

/// Ensemble forecast of a fitted OU or GBM model (for a fit_euler model, call forecast_ensemble with its functors).
inline Forecast forecast(const FitResult& fit, double t0, double x0, std::span<const double> horizons,
                         const ForecastOptions& options = {}) {
  switch (fit.kind) {
    case ModelKind::ornstein_uhlenbeck:
      return forecast_ensemble(detail::OuDrift{}, detail::OuDiffusion{}, fit, t0, x0, horizons, options);
    case ModelKind::geometric_brownian_motion:
      return forecast_ensemble(detail::GbmDrift{}, detail::GbmDiffusion{}, fit, t0, x0, horizons, options);
    default:
      detail::throw_invalid("sdekit::forecast", "fit.model", fit.model,
                            "has no built-in functors: call forecast_ensemble(drift, diffusion, fit, ...)");
  }
}

/// Options of a rolling-origin backtest.
struct BacktestOptions {
  std::size_t first_origin = 30;  ///< observations in the first training window (origin index first_origin − 1)
  std::size_t horizon = 10;       ///< forecast 1 … horizon observations ahead from each origin
  std::size_t origin_step = 1;    ///< observations between successive origins
  ForecastOptions forecast;       ///< ensemble options (the seed is offset by the origin index)
  /// Called with the fraction of origins done (0 … 1) after each origin, e.g. a sdekit::ProgressBar.
  std::function<void(double)> progress;
};

/// Scores at one horizon (in observation steps), averaged over the origins that have an outcome there.
struct BacktestRow {
  std::size_t horizon = 0;             ///< observations ahead
  std::size_t forecasts = 0;           ///< number of scored forecasts
  std::vector<double> coverage;        ///< fraction of outcomes inside the interval, per level
  double crps = 0.0;                   ///< mean ensemble CRPS
  double mae = 0.0;                    ///< mean |median − outcome|
  std::vector<double> naive_coverage;  ///< the random walk's coverage per level
  double naive_crps = 0.0;             ///< the random walk's mean CRPS
  double naive_mae = 0.0;              ///< mean |last value − outcome|
};

/// What a backtest reports: one row per horizon and the origins used.
struct BacktestResult {
  std::vector<double> levels;        ///< interval levels (from the forecast options)
  std::vector<BacktestRow> rows;     ///< horizons 1 … horizon
  std::size_t origins = 0;           ///< origins scored
  std::vector<std::string> skipped;  ///< origins whose fit or forecast threw, with the message

  /// The index of `level` in levels; throws std::invalid_argument naming "level" and listing the levels.
  std::size_t level_index(double level) const { return detail::level_index(levels, level, "sdekit::BacktestResult"); }
  /// The forecasts' coverage of `level` at rows[row]; throws std::invalid_argument naming "row" or "level".
  double coverage(std::size_t row, double level) const { return rows[checked_row(row)].coverage[index(level)]; }
  /// The random walk's coverage of `level` at rows[row]; throws std::invalid_argument naming "row" or "level".
  double naive_coverage(std::size_t row, double level) const {
    return rows[checked_row(row)].naive_coverage[index(level)];
  }

 private:
  std::size_t checked_row(std::size_t row) const {
    detail::require(row < rows.size(), "sdekit::BacktestResult", "row", row,
                    "must be below the number of rows " + std::to_string(rows.size()));
    return row;
  }
  std::size_t index(double level) const { return detail::level_index(levels, level, "sdekit::BacktestResult"); }
};

/// Rolling-origin backtest of any forecaster(train_times, train_values, horizons) → Forecast (with samples):
/// at each origin o the model sees observations 0 … o only, forecasts times[o + k] for k = 1 … horizon, and is
/// scored against the outcomes together with the naive random walk fitted to the same window.
template <class Forecaster>
BacktestResult rolling_backtest(std::span<const double> times, std::span<const double> values,
                                const Forecaster& forecaster, const BacktestOptions& options) {
  constexpr const char* where = "sdekit::rolling_backtest";
  detail::validate_series(times, values, where);
  detail::require(options.first_origin >= 3, where, "options.first_origin", options.first_origin, "must be at least 3");
  detail::require(options.first_origin < values.size(), where, "options.first_origin", options.first_origin,
                  "must be below the number of observations " + std::to_string(values.size()));
  detail::require(options.horizon >= 1, where, "options.horizon", options.horizon, "must be at least 1");
  detail::require(options.origin_step >= 1, where, "options.origin_step", options.origin_step, "must be at least 1");
  const std::vector<double>& levels = options.forecast.levels;
  BacktestResult out;
  out.levels = levels;
  out.rows.resize(options.horizon);
  for (std::size_t k = 0; k < options.horizon; ++k) {
    out.rows[k].horizon = k + 1;
    out.rows[k].coverage.assign(levels.size(), 0.0);
    out.rows[k].naive_coverage.assign(levels.size(), 0.0);
  }
  const std::size_t first = options.first_origin - 1;
  const std::size_t origin_count = (values.size() - 1 - first + options.origin_step - 1) / options.origin_step;
  std::size_t origins_done = 0;
  auto report = [&] {
    if (options.progress) options.progress(static_cast<double>(++origins_done) / static_cast<double>(origin_count));
  };
  for (std::size_t o = first; o + 1 < values.size(); o += options.origin_step) {
    const std::size_t ahead = std::min(options.horizon, values.size() - 1 - o);
    std::vector<double> horizons(ahead);
    for (std::size_t k = 0; k < ahead; ++k) horizons[k] = times[o + 1 + k] - times[o];
    const auto train_times = times.subspan(0, o + 1);
    const auto train_values = values.subspan(0, o + 1);
    Forecast f;
    try {
      f = forecaster(train_times, train_values, std::span<const double>(horizons));
    } catch (const std::exception& e) {
      out.skipped.push_back("origin " + std::to_string(o) + ": " + e.what());
      report();
      continue;
    }
    detail::require(f.points.size() == ahead && f.samples.size() == ahead && f.levels.size() == levels.size(), where,
                    "forecaster result size", f.points.size(),
                    "must be one point with samples per horizon and the levels of options.forecast");
    const Forecast naive = forecast_random_walk(train_times, train_values, horizons, levels);
    ++out.origins;
    for (std::size_t k = 0; k < ahead; ++k) {
      const double y = values[o + 1 + k];
      BacktestRow& row = out.rows[k];
      ++row.forecasts;
      for (std::size_t l = 0; l < levels.size(); ++l) {
        row.coverage[l] += (f.points[k].lower[l] <= y && y <= f.points[k].upper[l]) ? 1.0 : 0.0;
        row.naive_coverage[l] += (naive.points[k].lower[l] <= y && y <= naive.points[k].upper[l]) ? 1.0 : 0.0;
      }
      row.crps += crps_ensemble(f.samples[k], y);
      row.mae += std::abs(f.points[k].median - y);
      row.naive_crps += crps_normal(naive.points[k].mean, naive.points[k].sd, y);
      row.naive_mae += std::abs(values[o] - y);
    }
    report();
  }
  for (BacktestRow& row : out.rows) {
    if (row.forecasts == 0) continue;
    const double n = static_cast<double>(row.forecasts);
    for (double& c : row.coverage) c /= n;
    for (double& c : row.naive_coverage) c /= n;
    row.crps /= n;
    row.mae /= n;
    row.naive_crps /= n;
    row.naive_mae /= n;
  }
  return out;
}

/// Rolling-origin backtest of a built-in model (OU or GBM): refit by exact MLE at each origin, ensemble forecast.
inline BacktestResult backtest_model(ModelKind kind, std::span<const double> times, std::span<const double> values,
                                     const BacktestOptions& options) {
  detail::require(kind != ModelKind::custom, "sdekit::backtest_model", "kind", "custom",
                  "is not built in: call rolling_backtest with your own forecaster");
  auto forecaster = [&](std::span<const double> tt, std::span<const double> xx, std::span<const double> horizons) {
    const FitResult fit =
        kind == ModelKind::ornstein_uhlenbeck ? fit_ornstein_uhlenbeck(tt, xx) : fit_geometric_brownian_motion(tt, xx);
    ForecastOptions fo = options.forecast;
    fo.seed += xx.size();  // each origin its own noise
    return forecast(fit, tt.back(), xx.back(), horizons, fo);
  };
  return rolling_backtest(times, values, forecaster, options);
}

}  // namespace sdekit
