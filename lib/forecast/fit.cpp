// Model fitting: closed-form MLEs with delta-method standard errors, and the NLopt driver behind every
// numerical fit. NLopt stays private to libsdekit: no NLopt type appears in a public header.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/fit.hpp>

#include <nlopt.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace sdekit {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double log_two_pi = 1.8378770664093454836;

std::size_t index_of(const FitResult& fit, std::string_view name, std::string_view where) {
  for (std::size_t i = 0; i < fit.names.size(); ++i)
    if (fit.names[i] == name) return i;
  detail::throw_invalid(where, "name", std::string(name), "is not a parameter of the model " + fit.model);
}

bool regular_steps(std::span<const double> times) {
  const double mean_step = (times.back() - times.front()) / static_cast<double>(times.size() - 1);
  for (std::size_t i = 0; i + 1 < times.size(); ++i)
    if (std::abs((times[i + 1] - times[i]) - mean_step) > 1e-9 * mean_step) return false;
  return true;
}

struct Objective {
  const std::function<double(const Eigen::VectorXd&)>* log_likelihood;
  const Eigen::VectorXd* origin;
  const Eigen::VectorXd* scale;
  std::size_t evaluations = 0;
  double best = inf;
  Eigen::VectorXd best_theta;
};

// NLopt minimises over u, θ = origin + scale ⊙ u: every coordinate then moves on a scale of about 1, which the
// single trust-region radius of BOBYQA needs when θ mixes a level of 1000 and a rate of 0.1.
double nlopt_objective(unsigned n, const double* u, double* /*gradient*/, void* data) {
  auto& o = *static_cast<Objective*>(data);
  Eigen::VectorXd theta(n);
  for (unsigned i = 0; i < n; ++i) theta[i] = (*o.origin)[i] + (*o.scale)[i] * u[i];
  ++o.evaluations;
  const double ll = (*o.log_likelihood)(theta);
  // A finite penalty rather than +inf where the model is undefined: the quadratic models of BOBYQA then stay finite.
  const double value = std::isfinite(ll) ? -ll : 1e100;
  if (value < o.best) {
    o.best = value;
    o.best_theta = theta;
  }
  return value;
}

}  // namespace

double FitResult::parameter(std::string_view name) const {
  return parameters[static_cast<Eigen::Index>(index_of(*this, name, "sdekit::FitResult::parameter"))];
}

double FitResult::standard_error(std::string_view name) const {
  return standard_errors[static_cast<Eigen::Index>(index_of(*this, name, "sdekit::FitResult::standard_error"))];
}

namespace detail {

void validate_series(std::span<const double> times, std::span<const double> values, std::string_view where) {
  require(times.size() == values.size(), where, "times.size()", times.size(),
          "must equal values.size() = " + std::to_string(values.size()));
  require(values.size() >= 3, where, "values.size()", values.size(), "must be at least 3");
  for (std::size_t i = 0; i < values.size(); ++i) {
    require(std::isfinite(values[i]), where, "values[" + std::to_string(i) + "]", values[i], "must be finite");
    require(std::isfinite(times[i]), where, "times[" + std::to_string(i) + "]", times[i], "must be finite");
    if (i > 0)
      require(times[i] > times[i - 1], where, "times[" + std::to_string(i) + "]", times[i],
              "must be greater than times[" + std::to_string(i - 1) + "] = " + to_text(times[i - 1]));
  }
}

void finish_fit(FitResult& fit, const Eigen::MatrixXd& covariance) {
  const auto k = fit.parameters.size();
  fit.covariance = covariance;
  fit.standard_errors.resize(k);
  for (Eigen::Index i = 0; i < k; ++i)
    fit.standard_errors[i] = covariance(i, i) > 0 ? std::sqrt(covariance(i, i)) : nan;
  const double n = static_cast<double>(fit.observations);
  fit.aic = 2.0 * static_cast<double>(k) - 2.0 * fit.log_likelihood;
  fit.bic = static_cast<double>(k) * std::log(n) - 2.0 * fit.log_likelihood;
}

Eigen::MatrixXd numerical_hessian(const std::function<double(const Eigen::VectorXd&)>& f, const Eigen::VectorXd& theta,
                                  const Eigen::VectorXd& lower, const Eigen::VectorXd& upper) {
  const Eigen::Index k = theta.size();
  Eigen::VectorXd h(k);
  for (Eigen::Index i = 0; i < k; ++i) h[i] = 1e-3 * std::max(std::abs(theta[i]), 1e-2);
  const double f0 = f(theta);
  Eigen::MatrixXd H = Eigen::MatrixXd::Constant(k, k, nan);
  // Two passes: the second uses steps of 0.2 standard error as estimated by the first, where central
  // differences balance truncation against cancellation whatever the parameter's units.
  for (int pass = 0; pass < 3; ++pass) {
    for (Eigen::Index i = 0; i < k; ++i) {
      const double room = std::min(theta[i] - lower[i], upper[i] - theta[i]);
      if (room < h[i] * 1.0000001) h[i] = 0.5 * room;
    }
    auto at = [&](Eigen::Index i, double si, Eigen::Index j, double sj) {
      Eigen::VectorXd x = theta;
      x[i] += si * h[i];
      x[j] += sj * h[j];
      return f(x);
    };
    for (Eigen::Index i = 0; i < k; ++i) {
      if (!(h[i] > 0)) continue;
      Eigen::VectorXd x = theta;
      x[i] = theta[i] + h[i];
      const double fp = f(x);
      x[i] = theta[i] - h[i];
      const double fm = f(x);
      H(i, i) = (fp - 2 * f0 + fm) / (h[i] * h[i]);
      for (Eigen::Index j = 0; j < i; ++j) {
        if (!(h[j] > 0)) continue;
        H(i, j) = H(j, i) = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * h[i] * h[j]);
      }
    }
    if (pass == 2) break;
    for (Eigen::Index i = 0; i < k; ++i)
      if (H(i, i) < 0 && std::isfinite(H(i, i))) h[i] = 0.2 / std::sqrt(-H(i, i));
  }
  return H;
}

FitResult maximise_log_likelihood(const std::function<double(const Eigen::VectorXd&)>& log_likelihood,
                                  const ParameterSpec& spec, std::size_t observations, const FitOptions& options,
                                  std::string_view where) {
  const Eigen::Index k = spec.initial.size();
  require(k >= 1, where, "spec.initial.size()", k, "must be at least 1");
  require(spec.names.size() == static_cast<std::size_t>(k), where, "spec.names.size()", spec.names.size(),
          "must equal spec.initial.size() = " + std::to_string(k));
  require(spec.lower.size() == 0 || spec.lower.size() == k, where, "spec.lower.size()", spec.lower.size(),
          "must be 0 or spec.initial.size() = " + std::to_string(k));
  require(spec.upper.size() == 0 || spec.upper.size() == k, where, "spec.upper.size()", spec.upper.size(),
          "must be 0 or spec.initial.size() = " + std::to_string(k));
  require(options.relative_tolerance > 0, where, "options.relative_tolerance", options.relative_tolerance,
          "must be positive");
  require(options.max_evaluations >= 10, where, "options.max_evaluations", options.max_evaluations,
          "must be at least 10");
  const Eigen::VectorXd lower = spec.lower.size() ? spec.lower : Eigen::VectorXd::Constant(k, -inf);
  const Eigen::VectorXd upper = spec.upper.size() ? spec.upper : Eigen::VectorXd::Constant(k, inf);
  for (Eigen::Index i = 0; i < k; ++i) {
    const std::string name = "spec.initial[" + std::to_string(i) + "]";
    require(std::isfinite(spec.initial[i]), where, name, spec.initial[i], "must be finite");
    require(spec.initial[i] >= lower[i] && spec.initial[i] <= upper[i], where, name, spec.initial[i],
            "must lie within [" + to_text(lower[i]) + ", " + to_text(upper[i]) + "]");
  }
  const double start_ll = log_likelihood(spec.initial);
  require(std::isfinite(start_ll), where, "log-likelihood at spec.initial", start_ll,
          "must be finite (the model must be defined at the start values)");

  Eigen::VectorXd origin = spec.initial;
  Eigen::VectorXd scale(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    double s = std::abs(origin[i]) > 0 ? std::abs(origin[i]) : 1.0;
    // A parameter starting near a bound moves on the scale of its distance to that bound at most.
    s = std::min(s, std::max(1e-12, 10.0 * std::min(origin[i] - lower[i], upper[i] - origin[i])) + (s * 1e-3));
    scale[i] = s;
  }
  Objective objective{&log_likelihood, &origin, &scale, 0, inf, spec.initial};
  objective.best = -start_ll;

  bool converged = false;
  std::string method = "NLopt LN_BOBYQA";
  auto run = [&](nlopt_algorithm algorithm, const Eigen::VectorXd& from) {
    nlopt_opt opt = nlopt_create(algorithm, static_cast<unsigned>(k));
    std::vector<double> lb(static_cast<std::size_t>(k)), ub(static_cast<std::size_t>(k)),
        u(static_cast<std::size_t>(k)), step(static_cast<std::size_t>(k));
    for (Eigen::Index i = 0; i < k; ++i) {
      const auto j = static_cast<std::size_t>(i);
      lb[j] = std::isfinite(lower[i]) ? (lower[i] - origin[i]) / scale[i] : -HUGE_VAL;
      ub[j] = std::isfinite(upper[i]) ? (upper[i] - origin[i]) / scale[i] : HUGE_VAL;
      u[j] = (from[i] - origin[i]) / scale[i];
      step[j] = 0.1;
      if (std::isfinite(lb[j])) step[j] = std::min(step[j], std::max(0.5 * (u[j] - lb[j]), 1e-6));
      if (std::isfinite(ub[j])) step[j] = std::min(step[j], std::max(0.5 * (ub[j] - u[j]), 1e-6));
    }
    nlopt_set_lower_bounds(opt, lb.data());
    nlopt_set_upper_bounds(opt, ub.data());
    nlopt_set_min_objective(opt, nlopt_objective, &objective);
    nlopt_set_xtol_rel(opt, options.relative_tolerance);
    nlopt_set_ftol_rel(opt, options.relative_tolerance);
    nlopt_set_maxeval(opt, static_cast<int>(options.max_evaluations));
    nlopt_set_initial_step(opt, step.data());
    double value = 0.0;
    const nlopt_result status = nlopt_optimize(opt, u.data(), &value);
    nlopt_destroy(opt);
    return status;
  };

  // Restart BOBYQA from its own optimum until the log-likelihood stops improving: a restart rebuilds the
  // quadratic model, which recovers from the rare premature stop on a flat ridge.
  double previous = objective.best;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const nlopt_result status = run(NLOPT_LN_BOBYQA, objective.best_theta);
    if (status < 0 && attempt == 0) {
      method = "NLopt LN_NELDERMEAD (BOBYQA failed)";
      const nlopt_result nm = run(NLOPT_LN_NELDERMEAD, objective.best_theta);
      converged = nm > 0 && nm != NLOPT_MAXEVAL_REACHED;
      break;
    }
    converged = status > 0 && status != NLOPT_MAXEVAL_REACHED;
    if (!(previous - objective.best > 1e-9 * (1.0 + std::abs(objective.best)))) break;
    previous = objective.best;
  }

  FitResult fit;
  fit.names = spec.names;
  fit.parameters = objective.best_theta;
  fit.lower = lower;
  fit.upper = upper;
  fit.log_likelihood = -objective.best;
  fit.observations = observations;
  fit.method = method;
  fit.converged = converged;
  fit.evaluations = objective.evaluations;
  const Eigen::MatrixXd H = numerical_hessian(log_likelihood, fit.parameters, lower, upper);
  const Eigen::MatrixXd information = -H;
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Constant(k, k, nan);
  if (information.allFinite()) {
    Eigen::LLT<Eigen::MatrixXd> llt(information);
    if (llt.info() == Eigen::Success) covariance = llt.solve(Eigen::MatrixXd::Identity(k, k));
  }
  finish_fit(fit, covariance);
  add_fit_warnings(fit, spec.initial);
  return fit;
}

void add_fit_warnings(FitResult& fit, const Eigen::VectorXd& initial) {
  if (!fit.converged) fit.warnings.push_back("the optimiser stopped before meeting its tolerance (" + fit.method + ")");
  for (Eigen::Index i = 0; i < fit.parameters.size(); ++i) {
    const std::string& name = fit.names[static_cast<std::size_t>(i)];
    const double theta = fit.parameters[i];
    // "On a bound": closer than a millionth of the parameter's own scale, where a boundary optimum makes the
    // normal approximation (and so the standard error) meaningless.
    const double tolerance = 1e-6 * std::max({std::abs(theta), std::abs(initial[i]), 1e-300});
    for (const auto& [bound, side] : {std::pair{fit.lower[i], "lower"}, std::pair{fit.upper[i], "upper"}})
      if (std::isfinite(bound) && std::abs(theta - bound) <= tolerance)
        fit.warnings.push_back(name + " = " + to_text(theta) + " is at its " + side + " bound " + to_text(bound) +
                               ": the data do not identify it (consider a simpler model)");
    const double se = fit.standard_errors[i];
    if (!std::isfinite(se))
      fit.warnings.push_back(name + " has no standard error (the observed information is singular or not "
                             "positive definite there)");
    // Only for bounded parameters (rates, scales: zero means "absent"); a location such as μ near 0 has a large
    // relative error without being poorly identified.
    else if (se > std::abs(theta) && (std::isfinite(fit.lower[i]) || std::isfinite(fit.upper[i])))
      fit.warnings.push_back(name + " = " + to_text(theta) + " has a standard error " + to_text(se) +
                             " larger than its magnitude: poorly identified, intervals that use it are unreliable");
  }
}

}  // namespace detail

double ou_log_likelihood(std::span<const double> times, std::span<const double> values, double kappa, double mu,
                         double sigma) {
  if (!(kappa >= 0) || !(sigma > 0) || !std::isfinite(mu) || !std::isfinite(kappa) || !std::isfinite(sigma))
    return -inf;
  double ll = 0.0;
  for (std::size_t i = 0; i + 1 < values.size(); ++i) {
    const double h = times[i + 1] - times[i];
    const double decay = std::exp(-kappa * h);
    // (1 − e^{−2κh}) / (2κ), continuous at κ = 0 where it is h.
    const double spread = kappa * h > 1e-12 ? -std::expm1(-2 * kappa * h) / (2 * kappa) : h;
    const double variance = sigma * sigma * spread;
    const double r = values[i + 1] - (mu + (values[i] - mu) * decay);
    ll -= 0.5 * (log_two_pi + std::log(variance) + r * r / variance);
  }
  return std::isfinite(ll) ? ll : -inf;
}

FitResult fit_ornstein_uhlenbeck(std::span<const double> times, std::span<const double> values,
                                 const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_ornstein_uhlenbeck";
  detail::validate_series(times, values, where);
  const std::size_t n = values.size() - 1;
  const double nd = static_cast<double>(n);
  const double mean_step = (times.back() - times.front()) / nd;

  // Lag-one regression y = a + b x + e: the exact AR(1) form of OU at a regular step Δ, b = e^{−κΔ}.
  double xbar = 0, ybar = 0;
  for (std::size_t i = 0; i < n; ++i) {
    xbar += values[i];
    ybar += values[i + 1];
  }
  xbar /= nd;
  ybar /= nd;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (values[i] - xbar) * (values[i] - xbar);
    sxy += (values[i] - xbar) * (values[i + 1] - ybar);
  }
  detail::require(sxx > 0, where, "values", "constant", "must vary to fit a model");
  const double b = sxy / sxx;
  const double a = ybar - b * xbar;
  double v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = values[i + 1] - a - b * values[i];
    v += r * r;
  }
  v /= nd;

  FitResult fit;
  fit.kind = ModelKind::ornstein_uhlenbeck;
  fit.model = "Ornstein-Uhlenbeck";
  fit.names = {"kappa", "mu", "sigma"};
  fit.observations = n;
  fit.lower = Eigen::Vector3d(0.0, -inf, 0.0);
  fit.upper = Eigen::Vector3d(inf, inf, inf);

  if (regular_steps(times) && !options.force_numerical) {
    detail::require(b > 0 && b < 1, where, "lag-one regression slope", b,
                    "must lie in (0, 1) for a mean-reverting OU fit (no mean reversion at this step)");
    detail::require(v > 0, where, "residual variance", v, "must be positive");
    const double kappa = -std::log(b) / mean_step;
    const double mu = a / (1 - b);
    const double sigma = std::sqrt(2 * kappa * v / (1 - b * b));
    fit.parameters = Eigen::Vector3d(kappa, mu, sigma);
    fit.method = "closed form (AR(1) regression)";
    fit.log_likelihood = ou_log_likelihood(times, values, kappa, mu, sigma);
    // Covariance of (a, b, v): v (XᵀX)⁻¹ for the regression, 2v²/n for the variance, then the delta method.
    double sum_x2 = 0;
    for (std::size_t i = 0; i < n; ++i) sum_x2 += values[i] * values[i];
    Eigen::Matrix3d cov_phi = Eigen::Matrix3d::Zero();
    cov_phi(0, 0) = v * sum_x2 / (nd * sxx);
    cov_phi(0, 1) = cov_phi(1, 0) = -v * xbar / sxx;
    cov_phi(1, 1) = v / sxx;
    cov_phi(2, 2) = 2 * v * v / nd;
    const double dkappa_db = -1 / (b * mean_step);
    Eigen::Matrix3d J = Eigen::Matrix3d::Zero();
    J(0, 1) = dkappa_db;
    J(1, 0) = 1 / (1 - b);
    J(1, 1) = a / ((1 - b) * (1 - b));
    J(2, 1) = 0.5 * sigma * (dkappa_db / kappa + 2 * b / (1 - b * b));
    J(2, 2) = 0.5 * sigma / v;
    detail::finish_fit(fit, J * cov_phi * J.transpose());
    return fit;
  }

  // Irregular steps: maximise the exact likelihood, starting from moment estimates (not from the regression,
  // so that on regular data the two routes are independent).
  double mean = 0, var = 0, incr = 0;
  for (double x : values) mean += x;
  mean /= static_cast<double>(values.size());
  for (double x : values) var += (x - mean) * (x - mean);
  var /= static_cast<double>(values.size() - 1);
  for (std::size_t i = 0; i < n; ++i) incr += (values[i + 1] - values[i]) * (values[i + 1] - values[i]);
  incr /= nd;
  const double b0 = std::clamp(1 - incr / (2 * var), 0.05, 0.95);  // E(Δx)² = 2 Var(x)(1 − b) for stationary AR(1)
  const double kappa0 = -std::log(b0) / mean_step;
  const double sigma0 = std::sqrt(2 * kappa0 * var);
  ParameterSpec spec{fit.names, Eigen::Vector3d(kappa0, mean, sigma0), fit.lower, fit.upper};
  const std::function<double(const Eigen::VectorXd&)> ll = [&](const Eigen::VectorXd& p) {
    return ou_log_likelihood(times, values, p[0], p[1], p[2]);
  };
  FitResult numerical = detail::maximise_log_likelihood(ll, spec, n, options, where);
  numerical.kind = fit.kind;
  numerical.model = fit.model;
  return numerical;
}

double gbm_log_likelihood(std::span<const double> times, std::span<const double> values, double mu, double sigma) {
  if (!(sigma > 0) || !std::isfinite(mu) || !std::isfinite(sigma)) return -inf;
  const double m = mu - 0.5 * sigma * sigma;
  double ll = 0.0;
  for (std::size_t i = 0; i + 1 < values.size(); ++i) {
    if (!(values[i] > 0) || !(values[i + 1] > 0)) return -inf;
    const double h = times[i + 1] - times[i];
    const double r = std::log(values[i + 1] / values[i]) - m * h;
    const double variance = sigma * sigma * h;
    // The density of x_{i+1} itself, not of its logarithm: the −log x term makes AIC comparable with OU.
    ll -= 0.5 * (log_two_pi + std::log(variance) + r * r / variance) + std::log(values[i + 1]);
  }
  return std::isfinite(ll) ? ll : -inf;
}

FitResult fit_geometric_brownian_motion(std::span<const double> times, std::span<const double> values) {
  constexpr const char* where = "sdekit::fit_geometric_brownian_motion";
  detail::validate_series(times, values, where);
  for (std::size_t i = 0; i < values.size(); ++i)
    detail::require(values[i] > 0, where, "values[" + std::to_string(i) + "]", values[i], "must be positive");
  const std::size_t n = values.size() - 1;
  const double nd = static_cast<double>(n);
  const double span = times.back() - times.front();
  const double m = std::log(values.back() / values.front()) / span;  // Σ r_i / Σ Δ_i
  double s2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double h = times[i + 1] - times[i];
    const double r = std::log(values[i + 1] / values[i]) - m * h;
    s2 += r * r / h;
  }
  s2 /= nd;
  detail::require(s2 > 0, where, "variance of the log-returns", s2, "must be positive");
  const double sigma = std::sqrt(s2);
  FitResult fit;
  fit.kind = ModelKind::geometric_brownian_motion;
  fit.model = "geometric Brownian motion";
  fit.names = {"mu", "sigma"};
  fit.observations = n;
  fit.parameters = Eigen::Vector2d(m + 0.5 * s2, sigma);
  fit.lower = Eigen::Vector2d(-inf, 0.0);
  fit.upper = Eigen::Vector2d(inf, inf);
  fit.method = "closed form (log-returns)";
  fit.log_likelihood = gbm_log_likelihood(times, values, fit.parameters[0], sigma);
  // m̂ and σ̂ are independent with variances σ²/ΣΔ and σ²/(2n); μ = m + σ²/2 by the delta method.
  const double var_m = s2 / span;
  const double var_sigma = s2 / (2 * nd);
  Eigen::Matrix2d cov;
  cov(0, 0) = var_m + s2 * var_sigma;
  cov(0, 1) = cov(1, 0) = sigma * var_sigma;
  cov(1, 1) = var_sigma;
  detail::finish_fit(fit, cov);
  return fit;
}

}  // namespace sdekit
