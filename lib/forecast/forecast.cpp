// The non-template half of forecasting: scores (CRPS), closed-form forecasts, the naive baseline, and the
// summaries and parameter draws the ensemble forecast in forecast.hpp delegates to.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/forecast.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace sdekit {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

void check_levels(std::span<const double> levels, std::string_view where) {
  detail::require(!levels.empty(), where, "levels.size()", levels.size(), "must be at least 1");
  for (std::size_t l = 0; l < levels.size(); ++l)
    detail::require(levels[l] > 0 && levels[l] < 1, where, "levels[" + std::to_string(l) + "]", levels[l],
                    "must lie in (0, 1)");
}

void check_horizons(std::span<const double> horizons, std::string_view where) {
  detail::require(!horizons.empty(), where, "horizons.size()", horizons.size(), "must be at least 1");
  for (std::size_t k = 0; k < horizons.size(); ++k) {
    const std::string name = "horizons[" + std::to_string(k) + "]";
    detail::require(std::isfinite(horizons[k]) && horizons[k] > 0, where, name, horizons[k],
                    "must be positive and finite");
    if (k > 0)
      detail::require(horizons[k] > horizons[k - 1], where, name, horizons[k], "must exceed the one before it");
  }
}

/// A Gaussian forecast point N(mean, sd²) with its central intervals.
ForecastPoint normal_point(double time, double mean, double sd, std::span<const double> levels) {
  ForecastPoint p;
  p.time = time;
  p.mean = mean;
  p.sd = sd;
  p.median = mean;
  for (double level : levels) {
    const double z = normal_quantile(0.5 + 0.5 * level);
    p.lower.push_back(mean - z * sd);
    p.upper.push_back(mean + z * sd);
  }
  return p;
}

}  // namespace

namespace detail {

std::size_t level_index(std::span<const double> levels, double level, std::string_view where) {
  for (std::size_t l = 0; l < levels.size(); ++l)
    if (std::abs(levels[l] - level) <= 1e-9) return l;
  std::string listed = "(";
  for (std::size_t l = 0; l < levels.size(); ++l) listed += (l ? ", " : "") + to_text(levels[l]);
  throw_invalid(where, "level", level, "is not one of the forecast's levels " + listed + ")");
}

}  // namespace detail

double crps_ensemble(std::span<const double> samples, double y) {
  std::vector<double> x;
  x.reserve(samples.size());
  for (double v : samples)
    if (!std::isnan(v)) x.push_back(v);
  detail::require(!x.empty(), "sdekit::crps_ensemble", "samples (non-NaN)", x.size(), "must not be empty");
  detail::require(std::isfinite(y), "sdekit::crps_ensemble", "y", y, "must be finite");
  std::sort(x.begin(), x.end());
  const double m = static_cast<double>(x.size());
  double absolute = 0.0, spread = 0.0;
  // ½ mean|X − X'| = Σ_i (2i − M + 1) x_(i) / M² over the sorted samples (0-based i): O(M log M), not O(M²).
  for (std::size_t i = 0; i < x.size(); ++i) {
    absolute += std::abs(x[i] - y);
    spread += (2.0 * static_cast<double>(i) - m + 1.0) * x[i];
  }
  return absolute / m - spread / (m * m);
}

double crps_normal(double mean, double sd, double y) {
  detail::require(std::isfinite(mean), "sdekit::crps_normal", "mean", mean, "must be finite");
  detail::require(std::isfinite(sd) && sd >= 0, "sdekit::crps_normal", "sd", sd, "must be finite and non-negative");
  detail::require(std::isfinite(y), "sdekit::crps_normal", "y", y, "must be finite");
  if (sd == 0) return std::abs(y - mean);
  const double z = (y - mean) / sd;
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi);
  return sd * (z * (2 * normal_cdf(z) - 1) + 2 * pdf - 1 / std::sqrt(std::numbers::pi));
}

Forecast forecast_closed_form(const FitResult& fit, double t0, double x0, std::span<const double> horizons,
                              std::span<const double> levels) {
  constexpr const char* where = "sdekit::forecast_closed_form";
  check_horizons(horizons, where);
  check_levels(levels, where);
  detail::require(std::isfinite(x0), where, "x0", x0, "must be finite");
  detail::require(std::isfinite(t0), where, "t0", t0, "must be finite");
  // A NaN parameter (a failed fit) would otherwise come back as NaN points.
  detail::require(fit.parameters.allFinite(), where, "fit.parameters", fit.parameters, "must be finite");
  Forecast f;
  f.levels.assign(levels.begin(), levels.end());
  const Eigen::VectorXd& p = fit.parameters;
  if (fit.kind == ModelKind::ornstein_uhlenbeck) {
    detail::require(p.size() == 3, where, "fit.parameters.size()", p.size(), "must be 3 (kappa, mu, sigma)");
    const double kappa = p[0], mu = p[1], sigma = p[2];
    for (double h : horizons) {
      const double mean = mu + (x0 - mu) * std::exp(-kappa * h);
      const double spread = kappa * h > 1e-12 ? -std::expm1(-2 * kappa * h) / (2 * kappa) : h;
      f.points.push_back(normal_point(t0 + h, mean, sigma * std::sqrt(spread), levels));
    }
  } else if (fit.kind == ModelKind::geometric_brownian_motion) {
    detail::require(p.size() == 2, where, "fit.parameters.size()", p.size(), "must be 2 (mu, sigma)");
    detail::require(x0 > 0, where, "x0", x0, "must be positive for geometric Brownian motion");
    const double mu = p[0], sigma = p[1];
    for (double h : horizons) {
      // log X(t0 + h) ~ N(log x0 + (μ − σ²/2)h, σ²h): intervals are exponentiated normal intervals.
      const double m = std::log(x0) + (mu - 0.5 * sigma * sigma) * h;
      const double s = sigma * std::sqrt(h);
      ForecastPoint point;
      point.time = t0 + h;
      point.mean = x0 * std::exp(mu * h);
      point.sd = point.mean * std::sqrt(std::expm1(s * s));
      point.median = std::exp(m);
      for (double level : levels) {
        const double z = normal_quantile(0.5 + 0.5 * level);
        point.lower.push_back(std::exp(m - z * s));
        point.upper.push_back(std::exp(m + z * s));
      }
      f.points.push_back(point);
    }
  } else {
    detail::throw_invalid(where, "fit.model", fit.model, "has no closed-form transition (only OU and GBM have)");
  }
  return f;
}

Forecast forecast_random_walk(std::span<const double> train_times, std::span<const double> train_values,
                              std::span<const double> horizons, std::span<const double> levels) {
  constexpr const char* where = "sdekit::forecast_random_walk";
  detail::validate_series(train_times, train_values, where);
  check_horizons(horizons, where);
  check_levels(levels, where);
  double squares = 0.0;
  for (std::size_t i = 0; i + 1 < train_values.size(); ++i)
    squares += (train_values[i + 1] - train_values[i]) * (train_values[i + 1] - train_values[i]);
  const double rate = squares / (train_times.back() - train_times.front());
  Forecast f;
  f.levels.assign(levels.begin(), levels.end());
  for (double h : horizons)
    f.points.push_back(normal_point(train_times.back() + h, train_values.back(), std::sqrt(rate * h), levels));
  return f;
}

namespace detail {

double forecast_step(std::span<const double> horizons, const ForecastOptions& options, std::string_view where) {
  check_horizons(horizons, where);
  check_levels(options.levels, where);
  require(options.particles >= 2, where, "options.particles", options.particles, "must be at least 2");
  require(options.dt >= 0 && std::isfinite(options.dt), where, "options.dt", options.dt,
          "must be 0 (automatic) or positive");
  require(options.substeps >= 1, where, "options.substeps", options.substeps, "must be at least 1");
  if (options.dt > 0) return options.dt;
  double gap = horizons[0];
  for (std::size_t k = 1; k < horizons.size(); ++k) gap = std::min(gap, horizons[k] - horizons[k - 1]);
  return gap / static_cast<double>(options.substeps);
}

std::vector<QuantileRequest> forecast_quantiles(std::span<const double> levels) {
  std::vector<QuantileRequest> qs;
  for (double level : levels) {
    qs.push_back({0, 0.5 - 0.5 * level});
    qs.push_back({0, 0.5 + 0.5 * level});
  }
  qs.push_back({0, 0.5});
  return qs;
}

Forecast summarise_ensemble(const std::vector<SaveStatistics>& statistics, std::size_t first_quantile,
                            const std::vector<std::vector<double>>& values, double t0, std::span<const double> horizons,
                            std::span<const double> levels, std::size_t failed) {
  Forecast f;
  f.levels.assign(levels.begin(), levels.end());
  f.failed = failed;
  for (std::size_t k = 0; k < statistics.size(); ++k) {
    const SaveStatistics& st = statistics[k];
    ForecastPoint p;
    p.time = t0 + horizons[k];
    if (st.alive < 2) {
      p.mean = p.sd = p.median = nan;
      p.lower.assign(levels.size(), nan);
      p.upper.assign(levels.size(), nan);
    } else {
      p.mean = st.mean[0];
      p.sd = std::sqrt(st.variance[0]);
      for (std::size_t l = 0; l < levels.size(); ++l) {
        p.lower.push_back(st.quantiles[first_quantile + 2 * l]);
        p.upper.push_back(st.quantiles[first_quantile + 2 * l + 1]);
      }
      p.median = st.quantiles[first_quantile + 2 * levels.size()];
    }
    f.points.push_back(std::move(p));
    if (k < values.size()) {
      std::vector<double> alive;
      alive.reserve(values[k].size());
      for (double v : values[k])
        if (!std::isnan(v)) alive.push_back(v);
      f.samples.push_back(std::move(alive));
    }
  }
  return f;
}

Eigen::MatrixXd covariance_factor(const FitResult& fit, std::string_view where) {
  const Eigen::Index k = fit.parameters.size();
  require(fit.covariance.rows() == k && fit.covariance.cols() == k && fit.covariance.allFinite(), where,
          "fit.covariance", fit.covariance.rows(), "must be a finite k x k matrix to draw parameters");
  Eigen::LLT<Eigen::MatrixXd> llt(fit.covariance);
  require(llt.info() == Eigen::Success, where, "fit.covariance", "not positive definite",
          "must be positive definite to draw parameters");
  return llt.matrixL();
}

Eigen::VectorXd draw_parameters(const FitResult& fit, const Eigen::MatrixXd& cholesky_factor, std::uint64_t seed,
                                std::size_t particle) {
  // Stream 2: streams 0 and 1 belong to initial-state samplers and process ensembles.
  RandomStream rng(seed, particle, 2);
  const Eigen::Index k = fit.parameters.size();
  Eigen::VectorXd z(k);
  for (int attempt = 0; attempt < 100; ++attempt) {
    for (Eigen::Index i = 0; i < k; ++i) z[i] = rng.normal();
    const Eigen::VectorXd theta = fit.parameters + cholesky_factor * z;
    bool inside = true;
    for (Eigen::Index i = 0; i < k; ++i) {
      if (fit.lower.size() == k && !(theta[i] > fit.lower[i])) inside = false;
      if (fit.upper.size() == k && !(theta[i] < fit.upper[i])) inside = false;
    }
    if (inside) return theta;
  }
  return fit.parameters;
}

}  // namespace detail
}  // namespace sdekit
