#pragma once
// Maximum-likelihood fits of linear state-space SDE models (local level, local linear trend, CARMA(p,q), or any
// parameter → model map) by the exact Kalman likelihood, maximised with NLopt like the other fits (fit.hpp).
// Values may be NaN (missing): the likelihood then skips them and the filter bridges the gap exactly.
#include <sdekit/forecast/fit.hpp>
#include <sdekit/forecast/state_space.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace sdekit {

/// Maps parameters θ to a model; throwing std::invalid_argument marks θ as outside the model (likelihood −∞).
using StateSpaceBuilder = std::function<LinearSdeModel(const Eigen::VectorXd&)>;

/// A fitted state-space model: the fit (estimates, standard errors, AIC/BIC over the observed values, warnings),
/// the model at the estimate and its filter over the data (the start of forecasts).
struct StateSpaceFit {
  FitResult fit;         ///< estimates and diagnostics; fit.observations counts the non-missing values
  LinearSdeModel model;  ///< the model at the estimate
  KalmanResult filter;   ///< the Kalman filter of the data under it
};

/// Maximises the Kalman log-likelihood of builder(θ) over the box of `spec`.
StateSpaceFit fit_state_space(std::span<const double> times, std::span<const double> values,
                              const StateSpaceBuilder& builder, const ParameterSpec& spec,
                              const FitOptions& options = {});

/// Maximises the Kalman log-likelihood of builder(θ) over several observed components at once (rows: times,
/// columns: the p components, NaN = missing), e.g. a multivariate_ou_model.
StateSpaceFit fit_state_space(std::span<const double> times, const Eigen::MatrixXd& observations,
                              const StateSpaceBuilder& builder, const ParameterSpec& spec,
                              const FitOptions& options = {});

/// A local level plus a trigonometric seasonal of the given period and harmonics (seasonal_model, undamped,
/// diffuse) plus observation noise: parameters (sigma_level, sigma_seasonal, sigma_obs). At unit steps the
/// continuous model is statsmodels' UnobservedComponents(level="llevel", freq_seasonal=[{period, harmonics}]).
StateSpaceFit fit_local_level_plus_seasonal(std::span<const double> times, std::span<const double> values,
                                            double period, int harmonics, const FitOptions& options = {});

/// Continuous local level (local_level_model), parameters (sigma_level, sigma_obs).
StateSpaceFit fit_local_level(std::span<const double> times, std::span<const double> values,
                              const FitOptions& options = {});

/// Local linear trend (local_linear_trend_model): with a Brownian slope (slope_rate 0), parameters
/// (sigma_level, sigma_slope, sigma_obs); with `mean_reverting_slope` an OU slope whose rate is fitted too,
/// parameters (sigma_level, sigma_slope, slope_rate, sigma_obs) — the continuous cousin of ARIMA(1,1,q).
StateSpaceFit fit_local_linear_trend(std::span<const double> times, std::span<const double> values,
                                     bool mean_reverting_slope = false, const FitOptions& options = {});

/// CARMA(p, q) (carma_model), parameters (a1 … ap, b0 … b(q−1), sigma, mu) and, when `observation_noise`,
/// sigma_obs. Parameters whose AR polynomial is not stationary have likelihood −∞.
StateSpaceFit fit_carma(std::span<const double> times, std::span<const double> values, int p, int q,
                        bool observation_noise = false, const FitOptions& options = {});

/// A local level plus a zero-mean CARMA(p, q) component plus noise (sum_of_components): a level that wanders
/// with excursions that revert to it. Parameters (sigma_level, a1 … ap, b0 … b(q−1), sigma, sigma_obs);
/// p = 1, q = 0 is "level + OU", the continuous cousin of ARIMA(1,1,2).
StateSpaceFit fit_local_level_plus_carma(std::span<const double> times, std::span<const double> values, int p, int q,
                                         const FitOptions& options = {});

/// One candidate of an order search.
struct OrderCandidate {
  int p = 0;                  ///< AR order
  int q = 0;                  ///< MA order
  double log_likelihood = 0;  ///< maximised log-likelihood
  double aic = 0;             ///< its AIC
  double bic = 0;             ///< its BIC
  std::size_t warnings = 0;   ///< number of warnings of its fit
};

/// The result of an order search: the chosen fit and every candidate tried.
struct OrderSelection {
  StateSpaceFit best;                      ///< the candidate with the lowest AIC
  std::vector<OrderCandidate> candidates;  ///< all of them, in the order tried (p, then q)
};

/// Fits CARMA(p, q) for every 1 ≤ p ≤ max_p (≤ 4) and 0 ≤ q < p (fit_carma) and keeps the lowest AIC.
OrderSelection select_carma_order(std::span<const double> times, std::span<const double> values, int max_p,
                                  bool observation_noise = false, const FitOptions& options = {});

}  // namespace sdekit
