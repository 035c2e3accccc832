#pragma once
// Runs that always end: per-run limits on events and wall time, a stop predicate on the state, and the record of
// how each run ended (its outcome, the simulated time it reached, its events) with counts per outcome. Jump
// processes such as reaction networks can run away (prey without predators grow without bound); with a limit or a
// stop condition every run ends, and the result says which runs were cut short instead of silently dropping them.
#include <sdekit/core/errors.hpp>
#include <sdekit/ensemble/result.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit {

/// Why one run ended.
enum class RunOutcome : unsigned char {
  completed,        ///< reached the end time t1
  stopped,          ///< the stop predicate held (the state is kept from then on: the stopped process X_{t∧τ})
  event_limit,      ///< fired RunControl::max_events events before t1 (later saves are NaN)
  wall_time_limit,  ///< ran RunControl::max_wall_seconds of wall time before t1 (later saves are NaN)
  failed            ///< stopped by an error (see EnsembleResult::failures)
};

/// The number of RunOutcome values.
inline constexpr std::size_t run_outcome_count = 5;

/// The outcome's name as used in reports: "completed", "stopped", "event_limit", "wall_time_limit", "failed".
constexpr std::string_view to_string(RunOutcome outcome) {
  constexpr std::array<std::string_view, run_outcome_count> names{"completed", "stopped", "event_limit",
                                                                  "wall_time_limit", "failed"};
  return names[static_cast<std::size_t>(outcome)];
}

/// How one run ended: the outcome, the simulated time reached, and the events (reactions fired) up to then.
struct RunEnd {
  RunOutcome outcome = RunOutcome::completed;  ///< why it ended
  double time = 0.0;         ///< t1 when completed; the stop time; the time of the last event before a limit
  std::uint64_t events = 0;  ///< events fired (0 for processes that do not count events)
};

/// A stop predicate that never holds: runs end at t1 or at a limit.
struct NeverStop {
  /// Always false.
  template <class X>
  constexpr bool operator()(const X&, double) const {
    return false;
  }
};

/// Limits and a stop condition for each run of an ensemble. Event and stop limits are deterministic (bitwise the
/// same results for any thread count); the wall-time limit is not, by nature, and is meant as a safety net.
template <class Stop = NeverStop>
struct RunControl {
  std::uint64_t max_events = 0;  ///< events per run before it is cut (0: no limit)
  double max_wall_seconds = 0;   ///< wall time per run before it is cut (0: no limit)
  Stop stop{};                   ///< stop(x, t) → true ends the run at t with RunOutcome::stopped
};

/// A RunControl that stops a run when stop(x, t) first holds (e.g. an extinction), with the given limits.
template <class Stop>
RunControl<Stop> stop_when(Stop stop, std::uint64_t max_events = 0, double max_wall_seconds = 0) {
  return {max_events, max_wall_seconds, std::move(stop)};
}

/// An ensemble result with how each run ended and the count of each outcome.
template <class X>
struct ControlledResult : EnsembleResult<X> {
  std::vector<RunEnd> ends;                                     ///< per particle, in particle order
  std::array<std::size_t, run_outcome_count> outcome_counts{};  ///< indexed by RunOutcome

  /// How many runs ended with `outcome`.
  std::size_t count(RunOutcome outcome) const { return outcome_counts[static_cast<std::size_t>(outcome)]; }
};

namespace detail {

/// Checks a RunControl's limits; throws std::invalid_argument naming the field.
template <class Stop>
void validate_run_control(const RunControl<Stop>& control, std::string_view where) {
  require(std::isfinite(control.max_wall_seconds) && control.max_wall_seconds >= 0, where, "max_wall_seconds",
          control.max_wall_seconds, "must be finite and non-negative (0: no limit)");
}

/// Calls stop(x, t), or stop(x) for a predicate of the state alone.
template <class Stop, class X>
bool stop_holds(const Stop& stop, const X& x, double t) {
  if constexpr (std::is_invocable_v<const Stop&, const X&, double>) return static_cast<bool>(stop(x, t));
  else {
    static_assert(
        std::is_invocable_v<const Stop&, const X&>,
        "sdekit::RunControl: stop must be callable as stop(x, t) or stop(x) with x the state, returning bool");
    (void)t;
    return static_cast<bool>(stop(x));
  }
}

}  // namespace detail
}  // namespace sdekit
