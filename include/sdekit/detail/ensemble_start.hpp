#pragma once
// The prologue both ensemble entry points share: check the options, build the time grid, make particle 0's
// initial state (a fixed x0 must be finite; a sampled one is checked per particle) and take the dimension from it.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/ensemble/options.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace sdekit::detail {

/// What an ensemble run starts from.
template <class X>
struct EnsembleStart {
  TimeGrid grid;          ///< step boundaries and save times
  std::size_t reference;  ///< the first particle whose initial state could be made (0 unless its sampler threw)
  X first;                ///< that particle's initial state
  std::size_t dimension;  ///< components per state (the reference particle's)
};

/// Returns (i, make(i)) for the first i in [0, n) where make(i) does not throw. A particle whose sampler or problem
/// factory throws is a failed particle, not a failed run, so the run's shapes come from the first one that works.
/// If none of the first 1024 particles works (a broken function, not bad luck: trying all 2^32 would take hours),
/// throws std::invalid_argument naming `argument` and particle 0's exception.
template <class Make>
auto first_that_succeeds(std::size_t n, const Make& make, std::string_view where, std::string_view argument) {
  constexpr std::size_t attempts = 1024;
  std::string first_reason;
  for (std::size_t i = 0; i < n && i < attempts; ++i) {
    try {
      return std::pair{i, make(i)};
    } catch (...) {
      if (i == 0) first_reason = current_exception_message();
    }
  }
  throw_invalid(where, argument, "(a function)",
                std::string(n <= attempts ? "threw for every particle" : "threw for each of the first 1024 particles") +
                    "; particle 0: " + first_reason);
}

/// Validates the options and x0, builds the grid; throws std::invalid_argument naming `where` and the argument.
template <class Init>
EnsembleStart<typename initial_state<Init>::type> start_ensemble(const EnsembleOptions& options, const Init& x0,
                                                                 const char* where) {
  validate_options(options, where);
  TimeGrid grid(options.t0, options.t1, options.dt, options.save_times, where);
  auto [reference, first] = first_that_succeeds(
      options.particles, [&](std::size_t i) { return make_initial_state(x0, options.seed, i); }, where, "x0");
  if constexpr (!is_sampler_v<Init>) require(!failure_reason(first, AnyState{}), where, "x0", first, "must be finite");
  const std::size_t dimension = state_size(first);
  // A statistics-only run keeps no states, so only a run that stores them needs their memory.
  if (!statistics_only(options, dimension, grid.save_times().size()))
    check_result_memory(options.particles, grid.save_times().size(), dimension, where);
  return {std::move(grid), reference, std::move(first), dimension};
}

}  // namespace sdekit::detail
