// Rolling-origin backtests of Gaussian forecasters and the baseline forecasters.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/backtest.hpp>
#include <sdekit/forecast/fit.hpp>
#include <sdekit/forecast/forecast.hpp>

#include <cmath>
#include <exception>
#include <limits>
#include <string>

namespace sdekit {
namespace {

using detail::require;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The observed (non-NaN) part of a training window.
void observed(std::span<const double> t, std::span<const double> y, std::vector<double>& ot, std::vector<double>& oy) {
  for (std::size_t i = 0; i < y.size(); ++i)
    if (!std::isnan(y[i])) {
      ot.push_back(t[i]);
      oy.push_back(y[i]);
    }
  require(oy.size() >= 3, "sdekit::backtest forecaster", "observed training values", oy.size(), "must be at least 3");
}

GaussianForecast random_walk(const std::vector<double>& t, const std::vector<double>& y, double t_end,
                             std::span<const double> horizons) {
  double squares = 0;
  for (std::size_t i = 1; i < y.size(); ++i) squares += (y[i] - y[i - 1]) * (y[i] - y[i - 1]);
  const double rate = squares / (t.back() - t.front());
  GaussianForecast f;
  for (double h : horizons) {
    f.mean.push_back(y.back());
    f.sd.push_back(std::sqrt(rate * (h + t_end - t.back())));
  }
  return f;
}

}  // namespace

GaussianBacktest gaussian_backtest(std::span<const double> times, std::span<const double> values,
                                   const GaussianForecaster& forecaster, const GaussianBacktestOptions& options) {
  constexpr const char* where = "sdekit::gaussian_backtest";
  require(times.size() == values.size(), where, "times.size()", times.size(),
          "must equal values.size() = " + std::to_string(values.size()));
  require(values.size() >= 4, where, "values.size()", values.size(), "must be at least 4");
  for (std::size_t i = 1; i < times.size(); ++i)
    require(times[i] > times[i - 1], where, "times[" + std::to_string(i) + "]", times[i],
            "must be greater than times[" + std::to_string(i - 1) + "]");
  require(static_cast<bool>(forecaster), where, "forecaster", "empty", "must be callable");
  require(options.origins >= 1, where, "options.origins", options.origins, "must be at least 1");
  require(options.origin_step >= 1, where, "options.origin_step", options.origin_step, "must be at least 1");
  require(!options.horizons.empty(), where, "options.horizons.size()", 0, "must be positive");
  for (std::size_t h : options.horizons) require(h >= 1, where, "options.horizons", h, "must all be at least 1");
  const std::size_t n = values.size();
  const std::size_t span_needed = (options.origins - 1) * options.origin_step + 1;
  require(span_needed + 3 <= n, where, "options.origins", options.origins,
          "leaves fewer than 3 training values at the first origin of " + std::to_string(n) + " values");
  const std::size_t first = n - 1 - span_needed;

  GaussianBacktest out;
  out.horizons = options.horizons;
  const std::size_t H = options.horizons.size();
  out.mean_crps.assign(H, 0.0);
  out.scored.assign(H, 0);
  std::size_t done = 0;
  for (std::size_t o = first; o + 1 < n; o += options.origin_step) {
    OriginScores s;
    s.origin = o;
    s.time = times[o];
    s.mean.assign(H, nan);
    s.sd.assign(H, nan);
    s.outcome.assign(H, nan);
    s.crps.assign(H, nan);
    std::vector<double> ahead;
    std::vector<std::size_t> which;
    for (std::size_t k = 0; k < H; ++k)
      if (o + options.horizons[k] < n) {
        ahead.push_back(times[o + options.horizons[k]] - times[o]);
        which.push_back(k);
      }
    try {
      const GaussianForecast f = forecaster(times.subspan(0, o + 1), values.subspan(0, o + 1), ahead);
      require(f.mean.size() == ahead.size() && f.sd.size() == ahead.size(), where, "forecast size", f.mean.size(),
              "must equal the number of horizons asked " + std::to_string(ahead.size()));
      for (std::size_t j = 0; j < which.size(); ++j) {
        const std::size_t k = which[j];
        s.mean[k] = f.mean[j];
        s.sd[k] = f.sd[j];
        s.outcome[k] = values[o + options.horizons[k]];
        if (!std::isnan(s.outcome[k]) && std::isfinite(f.mean[j]) && f.sd[j] >= 0) {
          s.crps[k] = f.transform.kind == Transform::Kind::identity
                          ? crps_normal(f.mean[j], f.sd[j], s.outcome[k])
                          : crps_transformed_normal(f.transform, f.mean[j], f.sd[j], s.outcome[k]);
          out.mean_crps[k] += s.crps[k];
          ++out.scored[k];
        }
      }
    } catch (const std::exception& e) {
      out.skipped.push_back("origin " + std::to_string(o) + ": " + e.what());
    }
    out.origins.push_back(std::move(s));
    if (options.progress) options.progress(static_cast<double>(++done) / static_cast<double>(options.origins));
  }
  for (std::size_t k = 0; k < H; ++k) out.mean_crps[k] = out.scored[k] ? out.mean_crps[k] / out.scored[k] : nan;
  return out;
}

GaussianForecaster random_walk_forecaster() {
  return [](std::span<const double> t, std::span<const double> y, std::span<const double> horizons) {
    std::vector<double> ot, oy;
    observed(t, y, ot, oy);
    return random_walk(ot, oy, t.back(), horizons);
  };
}

GaussianForecaster ar1_forecaster() {
  return [](std::span<const double> t, std::span<const double> y, std::span<const double> horizons) {
    std::vector<double> ot, oy;
    observed(t, y, ot, oy);
    FitResult fit;
    try {
      fit = fit_ornstein_uhlenbeck(ot, oy);
    } catch (const std::invalid_argument&) {
      return random_walk(ot, oy, t.back(), horizons);  // no mean reversion in this window
    }
    const double kappa = fit.parameter("kappa"), mu = fit.parameter("mu"), sigma = fit.parameter("sigma");
    GaussianForecast f;
    for (double h : horizons) {
      const double lag = h + t.back() - ot.back();
      const double decay = std::exp(-kappa * lag);
      f.mean.push_back(mu + (oy.back() - mu) * decay);
      f.sd.push_back(sigma * std::sqrt(-std::expm1(-2 * kappa * lag) / (2 * kappa)));
    }
    return f;
  };
}

GaussianForecaster state_space_forecaster(
    std::function<StateSpaceFit(std::span<const double>, std::span<const double>)> fit) {
  require(static_cast<bool>(fit), "sdekit::state_space_forecaster", "fit", "empty", "must be callable");
  return
      [fit = std::move(fit)](std::span<const double> t, std::span<const double> y, std::span<const double> horizons) {
        const StateSpaceFit s = fit(t, y);
        const StateSpaceForecast f = forecast_state_space(s.model, s.filter, horizons);
        GaussianForecast g;
        for (std::size_t k = 0; k < horizons.size(); ++k) {
          g.mean.push_back(f.mean[k](0));
          g.sd.push_back(f.sd(k));
        }
        return g;
      };
}

GaussianForecaster transformed_forecaster(const Transform& transform, GaussianForecaster inner) {
  require(static_cast<bool>(inner), "sdekit::transformed_forecaster", "inner", "empty", "must be callable");
  return [transform, inner = std::move(inner)](std::span<const double> t, std::span<const double> y,
                                               std::span<const double> horizons) {
    const std::vector<double> z = transform_values(transform, y);
    GaussianForecast f = inner(t, z, horizons);
    f.transform = transform;
    return f;
  };
}

}  // namespace sdekit
