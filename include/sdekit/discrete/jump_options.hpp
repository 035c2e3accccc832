#pragma once
// Options of the jump-process simulators (simulate_ssa, simulate_tau_leaping). They have no step: the SSA is exact
// and tau-leaping chooses its own leaps. What EnsembleOptions calls dt (the SDE step) is here observe_dt, the
// spacing of the grid the state is observed on, so that one setting has one meaning.
#include <sdekit/core/errors.hpp>
#include <sdekit/ensemble/options.hpp>

#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

namespace sdekit {

/// What simulate_ssa and simulate_tau_leaping run: the RunOptions fields, the time span, the save times, the kept
/// paths, and the observation grid.
struct JumpOptions : RunOptions {
  double t0 = 0.0;                      ///< start time
  double t1 = 1.0;                      ///< end time
  std::vector<double> save_times;       ///< times at which every run's state is kept; empty: t1 only
  std::vector<std::size_t> keep_paths;  ///< runs whose state is also recorded on the observation grid
  /// Spacing of the observation grid t0, t0 + observe_dt, … on which kept paths are recorded (and which
  /// tau-leaping's leaps do not cross); 0: the save times only. It never changes the law of the simulation.
  double observe_dt = 0.0;
};

namespace detail {

/// The ensemble options that run a jump simulator on JumpOptions' observation grid; throws naming observe_dt.
inline EnsembleOptions observation_options(const JumpOptions& options, std::string_view where) {
  require(std::isfinite(options.observe_dt) && options.observe_dt >= 0, where, "observe_dt", options.observe_dt,
          "must be 0 (save times only) or positive");
  EnsembleOptions o;
  static_cast<RunOptions&>(o) = options;  // the whole slice
  o.t0 = options.t0;
  o.t1 = options.t1;
  o.save_times = options.save_times;
  o.keep_paths = options.keep_paths;
  // With no observation grid, one "step" spans [t0, t1] and the save times split it: the state is observed there.
  const double span = options.t1 - options.t0;
  o.dt = options.observe_dt > 0 ? options.observe_dt : (std::isfinite(span) && span > 0 ? span : 1.0);
  return o;
}

}  // namespace detail
}  // namespace sdekit
