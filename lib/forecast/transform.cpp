// Transforms of a series and the back-transformation of forecasts. The quadratures integrate over the standard
// normal variable u of the transformed scale (p = Φ(u)), where every integrand is smooth and decays like φ(u):
// composite Simpson on [−10, 10], split at the kink of the CRPS integrand.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/transform.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <limits>
#include <numbers>
#include <string>

namespace sdekit {
namespace {

using detail::require;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double normal_pdf(double u) { return std::exp(-0.5 * u * u) / std::sqrt(2 * std::numbers::pi); }
// Composite Simpson of f over [a, b] with n (even) intervals.
template <class F>
double simpson(const F& f, double a, double b, int n) {
  if (!(b > a)) return 0.0;
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4.0 : 2.0) * f(a + i * h);
  return s * h / 3.0;
}

constexpr double tail = 10.0;  // Φ(−10) ≈ 8e-24: the quadratures ignore less than that
constexpr int intervals = 2000;

// The upper end of the u-range of the quadratures. Box–Cox with λ < 0 maps z → −1/λ to y → ∞: the law then has
// infinite CRPS and moments for any normal forecast (1 − F(y) tends to P(Z ≥ −1/λ) > 0), so the quadratures stop one
// sd short of u* = (−1/λ − mean)/sd and leave out that tail, whose probability is below Φ(1 − u*).
double upper_limit(const Transform& t, double mean, double sd) {
  if (t.kind == Transform::Kind::box_cox && t.lambda < 0) return std::min(tail, (-1 / t.lambda - mean) / sd - 1);
  return tail;
}

void check_normal(double mean, double sd, const char* where) {
  require(std::isfinite(mean), where, "mean", mean, "must be finite");
  require(std::isfinite(sd) && sd >= 0, where, "sd", sd, "must be finite and non-negative");
}

}  // namespace

double Transform::forward(double y) const {
  constexpr const char* where = "sdekit::Transform::forward";
  if (std::isnan(y)) return nan;
  switch (kind) {
    case Kind::identity:
      return y;
    case Kind::log:
      require(y > 0 && std::isfinite(y), where, "y", y, "must be positive and finite for the log transform");
      return std::log(y);
    case Kind::sqrt:
      require(y >= 0 && std::isfinite(y), where, "y", y, "must be non-negative and finite for the sqrt transform");
      return std::sqrt(y);
    case Kind::box_cox:
      require(y > 0 && std::isfinite(y), where, "y", y, "must be positive and finite for the Box-Cox transform");
      return lambda == 0.0 ? std::log(y) : std::expm1(lambda * std::log(y)) / lambda;
  }
  return nan;
}

double Transform::inverse(double z) const {
  if (std::isnan(z)) return nan;
  switch (kind) {
    case Kind::identity:
      return z;
    case Kind::log:
      return std::exp(z);
    case Kind::sqrt:
      return z > 0 ? z * z : 0.0;
    case Kind::box_cox: {
      if (lambda == 0.0) return std::exp(z);
      const double base = 1 + lambda * z;
      if (!(base > 0)) return lambda > 0 ? 0.0 : std::numeric_limits<double>::infinity();
      return std::exp(std::log1p(lambda * z) / lambda);
    }
  }
  return nan;
}

double Transform::log_jacobian(double y) const {
  switch (kind) {
    case Kind::identity:
      return 0.0;
    case Kind::log:
      return -std::log(y);
    case Kind::sqrt:
      return -std::log(2 * std::sqrt(y));
    case Kind::box_cox:
      return (lambda - 1) * std::log(y);
  }
  return nan;
}

Transform log_transform() { return {Transform::Kind::log, 0.0}; }
Transform sqrt_transform() { return {Transform::Kind::sqrt, 0.5}; }
Transform box_cox_transform(double lambda) {
  require(std::isfinite(lambda), "sdekit::box_cox_transform", "lambda", lambda, "must be finite");
  return {Transform::Kind::box_cox, lambda};
}

std::vector<double> transform_values(const Transform& transform, std::span<const double> values) {
  std::vector<double> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    try {
      out[i] = transform.forward(values[i]);
    } catch (const std::invalid_argument&) {
      require(false, "sdekit::transform_values", "values[" + std::to_string(i) + "]", values[i],
              "is outside the transform's domain (log and Box-Cox: positive; sqrt: non-negative)");
    }
  }
  return out;
}

double log_jacobian_sum(const Transform& transform, std::span<const double> values) {
  double s = 0;
  for (double y : values)
    if (!std::isnan(y)) s += transform.log_jacobian(y);
  return s;
}

ForecastPoint back_transform_normal(const Transform& transform, double mean, double sd, std::span<const double> levels,
                                    double time) {
  constexpr const char* where = "sdekit::back_transform_normal";
  check_normal(mean, sd, where);
  ForecastPoint p;
  p.time = time;
  p.median = transform.inverse(mean);
  if (sd == 0) {
    p.mean = p.median;
    p.sd = 0;
  } else {
    const double top = upper_limit(transform, mean, sd);
    const double m1 =
        simpson([&](double u) { return transform.inverse(mean + sd * u) * normal_pdf(u); }, -tail, top, intervals);
    const double m2 = simpson(
        [&](double u) {
          const double d = transform.inverse(mean + sd * u) - m1;
          return d * d * normal_pdf(u);
        },
        -tail, top, intervals);
    p.mean = m1;
    p.sd = std::sqrt(m2);
  }
  for (double level : levels) {
    require(level > 0 && level < 1, where, "level", level, "must be in (0, 1)");
    const double z = normal_quantile(0.5 + 0.5 * level);
    p.lower.push_back(transform.inverse(mean - z * sd));
    p.upper.push_back(transform.inverse(mean + z * sd));
  }
  return p;
}

double crps_transformed_normal(const Transform& transform, double mean, double sd, double y) {
  constexpr const char* where = "sdekit::crps_transformed_normal";
  check_normal(mean, sd, where);
  require(std::isfinite(y), where, "y", y, "must be finite");
  if (sd == 0) return std::abs(transform.inverse(mean) - y);
  // CRPS = 2∫(1{y < Q(p)} − p)(Q(p) − y) dp with p = Φ(u), Q = T⁻¹(mean + sd u); the indicator switches where
  // Q(u) = y, i.e. at u* = (T(y) − mean)/sd (outside the domain of T: below every quantile).
  double kink = -tail;
  try {
    kink = std::clamp((transform.forward(y) - mean) / sd, -tail, tail);
  } catch (const std::invalid_argument&) {
    kink = -tail;  // y below the domain (e.g. y ≤ 0 for the log): every quantile exceeds it
  }
  const auto integrand = [&](double u, bool above) {
    const double q = transform.inverse(mean + sd * u);
    return ((above ? 1.0 : 0.0) - normal_cdf(u)) * (q - y) * normal_pdf(u);
  };
  const double top = upper_limit(transform, mean, sd);
  const double below = simpson([&](double u) { return integrand(u, false); }, -tail, std::min(kink, top), intervals);
  const double above = simpson([&](double u) { return integrand(u, true); }, std::min(kink, top), top, intervals);
  return 2 * (below + above);
}

Forecast back_transform(const Transform& transform, const StateSpaceForecast& forecast, double t0,
                        std::span<const double> levels) {
  Forecast out;
  out.levels.assign(levels.begin(), levels.end());
  for (std::size_t k = 0; k < forecast.horizons.size(); ++k)
    out.points.push_back(
        back_transform_normal(transform, forecast.mean[k](0), forecast.sd(k), levels, t0 + forecast.horizons[k]));
  return out;
}

Forecast back_transform(const Transform& transform, const Forecast& forecast) {
  Forecast out = forecast;
  for (std::size_t k = 0; k < out.points.size(); ++k) {
    ForecastPoint& p = out.points[k];
    const bool has_samples = k < out.samples.size() && !out.samples[k].empty();
    if (has_samples) {
      double s1 = 0, s2 = 0;
      for (double& v : out.samples[k]) {
        v = transform.inverse(v);
        s1 += v;
      }
      const double n = static_cast<double>(out.samples[k].size());
      const double m = s1 / n;
      for (double v : out.samples[k]) s2 += (v - m) * (v - m);
      p.mean = m;
      p.sd = n > 1 ? std::sqrt(s2 / (n - 1)) : 0.0;
    } else {
      const ForecastPoint normal = back_transform_normal(transform, forecast.points[k].mean, forecast.points[k].sd, {});
      p.mean = normal.mean;
      p.sd = normal.sd;
    }
    p.median = transform.inverse(p.median);
    for (double& v : p.lower) v = transform.inverse(v);
    for (double& v : p.upper) v = transform.inverse(v);
  }
  return out;
}

}  // namespace sdekit
