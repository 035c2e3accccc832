#pragma once
// What one controlled run may still spend: events and wall time (RunControl), and where its in-run progress goes.
// The per-event cost is an increment and a comparison; the clock is read only every `check_every` events.
#include <sdekit/detail/for_each_block.hpp>
#include <sdekit/ensemble/run_control.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>

namespace sdekit::detail {

/// The budget of one run: counts events, cuts the run at RunControl's limits, reports progress within the run.
class RunBudget {
 public:
  /// Events between two looks at the clock (wall-time limit, progress): cheap, and still many looks per second.
  static constexpr std::uint64_t check_every = 256;

  /// A budget for one run over [t0, t1] (t1 is used for the progress fraction) with the given limits.
  RunBudget(std::uint64_t max_events, double max_wall_seconds, ProgressTracker* tracker, double t0, double t1)
      : max_events_(max_events == 0 ? std::numeric_limits<std::uint64_t>::max() : max_events),
        max_wall_seconds_(max_wall_seconds),
        tracker_(tracker && tracker->active() ? tracker : nullptr),
        t0_(t0),
        span_(t1 - t0),
        start_(Clock::now()) {
    next_look_ = looks_at_clock() ? std::min(max_events_, check_every) : max_events_;
  }

  /// Asks to fire one more event, the run being at time t; false (and the run ended) when a limit is reached.
  bool allow_event(double t) {
    if (events_ >= next_look_) return look(t);
    ++events_;
    return true;
  }

  /// Ends the run at time t with `outcome`.
  void end(RunOutcome outcome, double t) {
    end_.outcome = outcome;
    end_.time = t;
  }

  /// How the run ended (valid once a call returned false, or after end()).
  RunEnd result() const { return {end_.outcome, end_.time, events_}; }

 private:
  using Clock = std::chrono::steady_clock;

  bool looks_at_clock() const { return max_wall_seconds_ > 0 || tracker_ != nullptr; }

  bool look(double t) {
    if (events_ >= max_events_) {
      end(RunOutcome::event_limit, t);
      return false;
    }
    if (max_wall_seconds_ > 0 && std::chrono::duration<double>(Clock::now() - start_).count() >= max_wall_seconds_) {
      end(RunOutcome::wall_time_limit, t);
      return false;
    }
    if (tracker_) tracker_->partial(span_ > 0 ? (t - t0_) / span_ : 0.0);
    next_look_ = looks_at_clock() ? std::min(max_events_, events_ + check_every) : max_events_;
    ++events_;
    return true;
  }

  std::uint64_t max_events_;
  double max_wall_seconds_;
  ProgressTracker* tracker_;
  double t0_, span_;
  Clock::time_point start_;
  std::uint64_t events_ = 0;
  std::uint64_t next_look_ = 0;
  RunEnd end_;
};

/// The budget of an uncontrolled run: never ends a run, costs nothing.
struct UnlimitedBudget {
  /// Always true.
  static constexpr bool allow_event(double) { return true; }
  /// Never called: an unlimited run does not end early.
  static void end(RunOutcome, double) {}
};

}  // namespace sdekit::detail
