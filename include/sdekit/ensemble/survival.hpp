#pragma once
// First-passage and extinction-time statistics: the Kaplan–Meier estimate of the survival function S(t) = P(τ > t)
// of a time τ observed in some runs and censored in others (a run that reached T, or was cut by a limit, before τ),
// with Greenwood's standard error. The times come from a controlled ensemble (RunEnd: a run that stopped gives τ,
// any other run is censored at the time it reached) or from the caller.
#include <sdekit/ensemble/run_control.hpp>

#include <cstddef>
#include <vector>

namespace sdekit {

/// A Kaplan–Meier survival curve: a step function, right-continuous, S = 1 before the first event time.
struct SurvivalCurve {
  std::vector<double> times;           ///< the distinct event times, increasing
  std::vector<double> survival;        ///< S(t) from each event time on
  std::vector<double> standard_error;  ///< Greenwood's standard error of S from each event time on
  std::vector<std::size_t> at_risk;    ///< runs with τ (or censoring) ≥ the event time
  std::vector<std::size_t> events;     ///< runs with τ at the event time
  std::size_t observed = 0;            ///< runs whose τ was observed
  std::size_t censored = 0;            ///< runs censored before τ

  /// S(t) = P(τ > t) as estimated (1 before the first event time).
  double at(double t) const;
  /// Greenwood's standard error of S(t) (0 before the first event time).
  double standard_error_at(double t) const;
  /// The smallest event time with S ≤ 1 − p (the p-quantile of τ); NaN when S stays above 1 − p.
  double quantile(double p) const;
  /// The restricted mean E[min(τ, horizon)] = ∫_0^horizon S(t) dt, for τ measured from time 0.
  double restricted_mean(double horizon) const;
};

/// The Kaplan–Meier estimate from times[i] with observed[i] true for an observed τ and false for a run censored at
/// times[i]. Throws std::invalid_argument naming the argument for unequal sizes, an empty list or a non-finite
/// time.
SurvivalCurve kaplan_meier(const std::vector<double>& times, const std::vector<bool>& observed);

/// The survival curve of the first-passage time τ − t0 of a controlled ensemble: runs that stopped (the stop
/// predicate held) are observed at their stop time, every other run (completed, cut by a limit, failed) is censored
/// at the time it reached.
SurvivalCurve first_passage_survival(const std::vector<RunEnd>& ends, double t0 = 0.0);

}  // namespace sdekit
