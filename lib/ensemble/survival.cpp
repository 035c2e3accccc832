// The Kaplan–Meier estimator with Greenwood's variance (Kaplan & Meier 1958; Greenwood 1926), e.g. as in Klein &
// Moeschberger, "Survival Analysis" (2003), §4.2: S(t) = Π_{t_j ≤ t} (1 − d_j / n_j),
// Var S(t) = S(t)² Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j)).
#include <sdekit/core/errors.hpp>
#include <sdekit/ensemble/survival.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace sdekit {
namespace {

// The index of the last event time ≤ t, or -1.
long last_at_or_before(const std::vector<double>& times, double t) {
  return static_cast<long>(std::upper_bound(times.begin(), times.end(), t) - times.begin()) - 1;
}

}  // namespace

double SurvivalCurve::at(double t) const {
  const long j = last_at_or_before(times, t);
  return j < 0 ? 1.0 : survival[static_cast<std::size_t>(j)];
}

double SurvivalCurve::standard_error_at(double t) const {
  const long j = last_at_or_before(times, t);
  return j < 0 ? 0.0 : standard_error[static_cast<std::size_t>(j)];
}

double SurvivalCurve::quantile(double p) const {
  detail::require(p > 0 && p < 1, "sdekit::SurvivalCurve::quantile", "p", p, "must lie in (0, 1)");
  for (std::size_t j = 0; j < times.size(); ++j)
    if (survival[j] <= 1 - p) return times[j];
  return std::numeric_limits<double>::quiet_NaN();
}

double SurvivalCurve::restricted_mean(double horizon) const {
  detail::require(std::isfinite(horizon) && horizon >= 0, "sdekit::SurvivalCurve::restricted_mean", "horizon", horizon,
                  "must be finite and non-negative");
  double area = 0, from = 0, s = 1;
  for (std::size_t j = 0; j < times.size() && times[j] < horizon; ++j) {
    area += s * (times[j] - from);
    from = times[j];
    s = survival[j];
  }
  return area + s * (horizon - from);
}

SurvivalCurve kaplan_meier(const std::vector<double>& times, const std::vector<bool>& observed) {
  constexpr const char* where = "sdekit::kaplan_meier";
  detail::require(!times.empty(), where, "times.size()", times.size(), "must be at least 1");
  detail::require(observed.size() == times.size(), where, "observed.size()", observed.size(),
                  "must equal times.size() = " + std::to_string(times.size()));
  for (std::size_t i = 0; i < times.size(); ++i)
    detail::require(std::isfinite(times[i]), where, "times[" + std::to_string(i) + "]", times[i], "must be finite");
  std::vector<std::size_t> order(times.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // At equal times events come before censorings: a run censored at t was still at risk at t.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return times[a] < times[b] || (times[a] == times[b] && observed[a] && !observed[b]);
  });
  SurvivalCurve curve;
  std::size_t at_risk = times.size();
  double s = 1, greenwood = 0;
  for (std::size_t k = 0; k < order.size();) {
    const double t = times[order[k]];
    std::size_t deaths = 0, leaving = 0;
    for (; k < order.size() && times[order[k]] == t; ++k, ++leaving) deaths += observed[order[k]] ? 1 : 0;
    if (deaths > 0) {
      const auto n = static_cast<double>(at_risk), d = static_cast<double>(deaths);
      s *= 1 - d / n;
      if (n > d) greenwood += d / (n * (n - d));
      curve.times.push_back(t);
      curve.survival.push_back(s);
      curve.standard_error.push_back(s * std::sqrt(greenwood));
      curve.at_risk.push_back(at_risk);
      curve.events.push_back(deaths);
    }
    curve.observed += deaths;
    curve.censored += leaving - deaths;
    at_risk -= leaving;
  }
  return curve;
}

SurvivalCurve first_passage_survival(const std::vector<RunEnd>& ends, double t0) {
  std::vector<double> times(ends.size());
  std::vector<bool> observed(ends.size());
  for (std::size_t i = 0; i < ends.size(); ++i) {
    times[i] = ends[i].time - t0;
    observed[i] = ends[i].outcome == RunOutcome::stopped;
  }
  return kaplan_meier(times, observed);
}

}  // namespace sdekit
