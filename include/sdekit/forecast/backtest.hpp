#pragma once
// Rolling-origin backtests of Gaussian (closed-form) forecasters: no simulation, every origin's forecasts and scores
// kept, missing outcomes (NaN) left unscored, progress reported. The forecasters of the state-space models, the
// random walk and the AR(1) (Ornstein–Uhlenbeck) baseline are provided; any other is a function.
#include <sdekit/forecast/state_space_fit.hpp>
#include <sdekit/forecast/transform.hpp>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace sdekit {

/// A Gaussian forecast at each horizon: N(mean[k], sd[k]²) for transform.forward(observation) — the observation
/// itself with the default identity transform; otherwise scored on the original scale (crps_transformed_normal).
struct GaussianForecast {
  std::vector<double> mean;  ///< one per horizon
  std::vector<double> sd;    ///< one per horizon
  Transform transform;       ///< the scale of mean and sd (identity: the observations')
};

/// forecaster(train_times, train_values, horizons in time units) → one Gaussian per horizon; train_values may hold
/// NaN (missing). Throwing marks the origin as skipped.
using GaussianForecaster =
    std::function<GaussianForecast(std::span<const double>, std::span<const double>, std::span<const double>)>;

/// Options of gaussian_backtest.
struct GaussianBacktestOptions {
  std::size_t origins = 50;                           ///< the last this many origins (each with one value ahead)
  std::vector<std::size_t> horizons = {1, 2, 5, 10};  ///< observations ahead
  std::size_t origin_step = 1;                        ///< observations between successive origins
  std::function<void(double)> progress;               ///< called with the fraction of origins done
};

/// One origin's forecasts and scores (NaN where the outcome is missing or beyond the series); mean and sd are on the
/// forecaster's scale (GaussianForecast::transform), outcome and CRPS on the original one.
struct OriginScores {
  std::size_t origin = 0;       ///< index of the last training observation
  double time = 0.0;            ///< its time
  std::vector<double> mean;     ///< forecast mean per horizon
  std::vector<double> sd;       ///< forecast sd per horizon
  std::vector<double> outcome;  ///< the observed value per horizon
  std::vector<double> crps;     ///< CRPS per horizon
};

/// A backtest: mean CRPS per horizon over the scored forecasts, and every origin's details.
struct GaussianBacktest {
  std::vector<std::size_t> horizons;  ///< observations ahead
  std::vector<double> mean_crps;      ///< mean CRPS per horizon
  std::vector<std::size_t> scored;    ///< scored forecasts per horizon
  std::vector<OriginScores> origins;  ///< per origin, in time order
  std::vector<std::string> skipped;   ///< origins whose forecaster threw, with the message
};

/// At each origin o (the last `origins` indices that have a next observation, every origin_step) the forecaster
/// sees observations 0 … o and forecasts times[o + h] for each h; CRPS of the normal forecast (crps_normal)
/// against values[o + h] where it exists and is not NaN.
GaussianBacktest gaussian_backtest(std::span<const double> times, std::span<const double> values,
                                   const GaussianForecaster& forecaster, const GaussianBacktestOptions& options = {});

/// The random walk N(last observed value, s² h), s² = Σ(Δy)²/ΣΔt over consecutive observed values.
GaussianForecaster random_walk_forecaster();

/// The AR(1) baseline: Ornstein–Uhlenbeck fitted exactly (fit_ornstein_uhlenbeck) to the observed values, forecast
/// in closed form from the last one; falls back to the random walk where no mean reversion is found.
GaussianForecaster ar1_forecaster();

/// Any state-space fit (fit(train_times, train_values) → StateSpaceFit, e.g. a lambda calling fit_local_level)
/// forecast by forecast_state_space from the end of its filter.
GaussianForecaster state_space_forecaster(
    std::function<StateSpaceFit(std::span<const double>, std::span<const double>)> fit);

/// A forecaster of transform.forward(values): the training values are transformed (NaN kept) before `inner` sees
/// them, and its forecasts are marked with the transform, so the backtest scores them on the original scale.
GaussianForecaster transformed_forecaster(const Transform& transform, GaussianForecaster inner);

}  // namespace sdekit
