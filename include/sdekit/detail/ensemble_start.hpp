#pragma once
// The prologue both ensemble entry points share: check the options, build the time grid, make particle 0's
// initial state (a fixed x0 must be finite; a sampled one is checked per particle) and take the dimension from it.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/ensemble/options.hpp>

#include <cstddef>
#include <utility>

namespace sdekit::detail {

/// What an ensemble run starts from.
template <class X>
struct EnsembleStart {
  TimeGrid grid;          ///< step boundaries and save times
  X first;                ///< particle 0's initial state
  std::size_t dimension;  ///< components per state (particle 0's)
};

/// Validates the options and x0, builds the grid; throws std::invalid_argument naming `where` and the argument.
template <class Init>
EnsembleStart<typename initial_state<Init>::type> start_ensemble(const EnsembleOptions& options, const Init& x0,
                                                                 const char* where) {
  using X = typename initial_state<Init>::type;
  validate_options(options, where);
  TimeGrid grid(options.t0, options.t1, options.dt, options.save_times, where);
  X first = make_initial_state(x0, options.seed, 0);
  if constexpr (!is_sampler_v<Init>) require(!failure_reason(first, AnyState{}), where, "x0", first, "must be finite");
  const std::size_t dimension = state_size(first);
  return {std::move(grid), std::move(first), dimension};
}

}  // namespace sdekit::detail
