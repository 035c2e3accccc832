#pragma once
// Fitting SDE models to one observed series x(t_0), …, x(t_n): exact maximum likelihood where the transition
// density is known (Ornstein–Uhlenbeck, geometric Brownian motion) and the Euler pseudo-likelihood for any
// parametric drift a(x,t;θ) and diffusion b(x,t;θ), maximised with NLopt (LN_BOBYQA, see docs/forecasting.md).
// The user-functor part is a template that builds a std::function objective: the optimiser calls it a few
// hundred times per fit, each call a pass over the data, so the indirection costs nothing measurable.
#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// Which model a fit belongs to; forecasts of the built-in models need no functors.
enum class ModelKind {
  ornstein_uhlenbeck,         ///< dX = κ(μ − X)dt + σ dW, parameters (kappa, mu, sigma)
  geometric_brownian_motion,  ///< dX = μX dt + σX dW, parameters (mu, sigma)
  custom,                     ///< a user drift a(x,t;θ) and diffusion b(x,t;θ) (fit_euler)
};

/// A fitted model: estimates, their asymptotic covariance, the maximised log-likelihood and information criteria.
struct FitResult {
  ModelKind kind = ModelKind::custom;  ///< the model
  std::string model;                   ///< its name, for reports
  std::vector<std::string> names;      ///< parameter names
  Eigen::VectorXd parameters;          ///< the estimate θ̂
  Eigen::MatrixXd covariance;          ///< asymptotic covariance of θ̂ (inverse observed information)
  Eigen::VectorXd standard_errors;     ///< sqrt of its diagonal (NaN where the information is singular)
  Eigen::VectorXd lower;               ///< lower bounds of the parameter domain
  Eigen::VectorXd upper;               ///< upper bounds of the parameter domain
  double log_likelihood = 0.0;         ///< maximised log-likelihood (density of the observed values)
  std::size_t observations = 0;        ///< number of transitions n used (observations − 1)
  double aic = 0.0;                    ///< 2k − 2 log L
  double bic = 0.0;                    ///< k log n − 2 log L
  std::string method;                  ///< "closed form" or the optimiser used
  bool converged = true;               ///< false if the optimiser stopped without meeting its tolerance
  std::size_t evaluations = 0;         ///< log-likelihood evaluations (0 for closed forms)
  /// Signs of a poorly identified fit, one sentence each: the optimiser did not converge, an estimate sits on a
  /// bound of its domain, the information is singular, or a bounded parameter's (a rate's, a scale's) standard
  /// error exceeds its magnitude.
  std::vector<std::string> warnings;

  /// The estimate of the parameter named `name`; throws std::invalid_argument naming it if unknown.
  double parameter(std::string_view name) const;
  /// The standard error of the parameter named `name`.
  double standard_error(std::string_view name) const;
};

/// Options of the numerical fits.
struct FitOptions {
  bool force_numerical = false;         ///< OU with regular steps: maximise numerically instead of the closed form
  double relative_tolerance = 1e-10;    ///< NLopt's xtol_rel and ftol_rel
  std::size_t max_evaluations = 20000;  ///< cap on log-likelihood evaluations per optimiser run
};

/// Names, start values and bounds of the parameters θ of a user model (bounds may be ±infinity).
struct ParameterSpec {
  std::vector<std::string> names;  ///< one per parameter
  Eigen::VectorXd initial;         ///< start of the search (inside the bounds)
  Eigen::VectorXd lower;           ///< lower bounds (e.g. 0 for a volatility); empty: −infinity
  Eigen::VectorXd upper;           ///< upper bounds; empty: +infinity
};

/// Exact log-likelihood of OU parameters (kappa > 0, sigma > 0) given the series (any increasing times).
double ou_log_likelihood(std::span<const double> times, std::span<const double> values, double kappa, double mu,
                         double sigma);

/// Exact MLE of the Ornstein–Uhlenbeck model: closed form (AR(1) regression) for regular steps, NLopt otherwise.
FitResult fit_ornstein_uhlenbeck(std::span<const double> times, std::span<const double> values,
                                 const FitOptions& options = {});

/// Exact log-likelihood of GBM parameters (sigma > 0) given a positive series, as a density of the values.
double gbm_log_likelihood(std::span<const double> times, std::span<const double> values, double mu, double sigma);

/// Exact MLE of geometric Brownian motion through the log-returns (closed form, also for irregular steps).
FitResult fit_geometric_brownian_motion(std::span<const double> times, std::span<const double> values);

/// The Euler pseudo-log-likelihood Σ log N(x_{i+1}; x_i + a Δ_i, b² Δ_i) of θ; −infinity where b² Δ is not
/// positive or a term is not finite. a(x, t, θ) and b(x, t, θ) take θ as const Eigen::VectorXd&.
template <class Drift, class Diffusion>
double euler_log_likelihood(std::span<const double> times, std::span<const double> values, const Drift& drift,
                            const Diffusion& diffusion, const Eigen::VectorXd& theta) {
  constexpr double log_two_pi = 1.8378770664093454836;
  double ll = 0.0;
  for (std::size_t i = 0; i + 1 < values.size(); ++i) {
    const double h = times[i + 1] - times[i];
    const double x = values[i];
    const double b = static_cast<double>(diffusion(x, times[i], theta));
    const double mean = x + static_cast<double>(drift(x, times[i], theta)) * h;
    const double variance = b * b * h;
    if (!(variance > 0.0) || !std::isfinite(variance) || !std::isfinite(mean))
      return -std::numeric_limits<double>::infinity();
    const double r = values[i + 1] - mean;
    ll -= 0.5 * (log_two_pi + std::log(variance) + r * r / variance);
  }
  return std::isfinite(ll) ? ll : -std::numeric_limits<double>::infinity();
}

namespace detail {
/// Checks a series for fitting: equal sizes, at least 3 points, finite values, strictly increasing times.
void validate_series(std::span<const double> times, std::span<const double> values, std::string_view where);

/// Maximises log_likelihood over the box of `spec` with NLopt (LN_BOBYQA, restarted until it stops improving;
/// LN_NELDERMEAD if BOBYQA fails) and fills a FitResult with a numerical-Hessian covariance.
FitResult maximise_log_likelihood(const std::function<double(const Eigen::VectorXd&)>& log_likelihood,
                                  const ParameterSpec& spec, std::size_t observations, const FitOptions& options,
                                  std::string_view where);

/// Central-difference Hessian of f at theta, with steps adapted to the curvature and kept inside [lower, upper].
Eigen::MatrixXd numerical_hessian(const std::function<double(const Eigen::VectorXd&)>& f, const Eigen::VectorXd& theta,
                                  const Eigen::VectorXd& lower, const Eigen::VectorXd& upper);

/// Appends to fit.warnings what a numerical fit's result signals about identification (see FitResult::warnings);
/// `initial` is the start of the search, whose magnitude sets the tolerance of "on a bound".
void add_fit_warnings(FitResult& fit, const Eigen::VectorXd& initial);

/// Sets covariance, standard errors, AIC and BIC of `fit` (whose parameters, log-likelihood and observations
/// are set) from the asymptotic covariance of its estimate.
void finish_fit(FitResult& fit, const Eigen::MatrixXd& covariance);
}  // namespace detail

/// Fits a(x,t;θ), b(x,t;θ) by maximising the Euler pseudo-likelihood (irregular steps allowed); standard errors
/// from the numerical Hessian of the pseudo-log-likelihood, AIC/BIC from its maximum. Biased when the steps are
/// not small against the model's time scales (see docs/forecasting.md).
template <class Drift, class Diffusion>
FitResult fit_euler(std::span<const double> times, std::span<const double> values, Drift drift, Diffusion diffusion,
                    const ParameterSpec& spec, const FitOptions& options = {}) {
  detail::validate_series(times, values, "sdekit::fit_euler");
  const std::function<double(const Eigen::VectorXd&)> objective = [&](const Eigen::VectorXd& theta) {
    return euler_log_likelihood(times, values, drift, diffusion, theta);
  };
  FitResult fit = detail::maximise_log_likelihood(objective, spec, values.size() - 1, options, "sdekit::fit_euler");
  fit.kind = ModelKind::custom;
  fit.model = "Euler pseudo-likelihood";
  return fit;
}

}  // namespace sdekit
