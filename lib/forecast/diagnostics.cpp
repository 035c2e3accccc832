// Residual diagnostics: the Ljung–Box test and the χ² tail it needs (Numerical Recipes' series and continued
// fraction for the incomplete gamma function, each used where it converges fast).
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/diagnostics.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace sdekit {

double chi_squared_survival(double x, double degrees_of_freedom) {
  constexpr const char* where = "sdekit::chi_squared_survival";
  detail::require(std::isfinite(x) && x >= 0, where, "x", x, "must be finite and non-negative");
  detail::require(std::isfinite(degrees_of_freedom) && degrees_of_freedom > 0, where, "degrees_of_freedom",
                  degrees_of_freedom, "must be finite and positive");
  const double a = 0.5 * degrees_of_freedom;
  const double z = 0.5 * x;
  if (z == 0) return 1.0;
  const double log_prefactor = -z + a * std::log(z) - std::lgamma(a);
  if (z < a + 1) {  // P(a, z) by its series, Q = 1 − P
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 10000 && std::abs(term) > 1e-17 * std::abs(sum); ++n) {
      term *= z / (a + n);
      sum += term;
    }
    return std::max(0.0, 1.0 - sum * std::exp(log_prefactor));
  }
  // Q(a, z) by Lentz's continued fraction.
  constexpr double tiny = 1e-300;
  double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < 1e-16) break;
  }
  return std::exp(log_prefactor) * h;
}

LjungBox ljung_box(std::span<const double> residuals, std::size_t lags, std::size_t fitted_parameters) {
  constexpr const char* where = "sdekit::ljung_box";
  std::vector<double> e;
  for (double r : residuals)
    if (!std::isnan(r)) {
      detail::require(std::isfinite(r), where, "residuals", r, "must be finite or NaN (left out)");
      e.push_back(r);
    }
  detail::require(lags >= 1, where, "lags", lags, "must be at least 1");
  detail::require(e.size() > lags + 1, where, "non-NaN residuals", e.size(),
                  "must exceed lags + 1 = " + std::to_string(lags + 1));
  detail::require(fitted_parameters < lags, where, "fitted_parameters", fitted_parameters,
                  "must be below lags = " + std::to_string(lags));
  const double n = static_cast<double>(e.size());
  double mean = 0;
  for (double v : e) mean += v / n;
  double c0 = 0;
  for (double v : e) c0 += (v - mean) * (v - mean);
  LjungBox out;
  out.values = e.size();
  out.degrees_of_freedom = lags - fitted_parameters;
  for (std::size_t k = 1; k <= lags; ++k) {
    double ck = 0;
    for (std::size_t i = k; i < e.size(); ++i) ck += (e[i] - mean) * (e[i - k] - mean);
    const double r = ck / c0;
    out.statistic += r * r / (n - static_cast<double>(k));
  }
  out.statistic *= n * (n + 2);
  out.p_value = chi_squared_survival(out.statistic, static_cast<double>(out.degrees_of_freedom));
  return out;
}

}  // namespace sdekit
