#pragma once
// Particle ensembles: N independent particles of one problem, run in parallel with OpenMP over fixed-size blocks.
// Particle i draws its Wiener increments from Z(seed, i, step, component) (or the discrete variables of
// EnsembleOptions::increment_law) and its other random numbers from
// RandomStream(seed, i, ·), so its path does not depend on which thread ran it, on the block size, or on N.
// Each particle's state at each save time is written to its own column of the result and statistics are computed
// afterwards from those columns; or, with options.statistics.storage = Storage::statistics_only, each leaf of
// particles adds its states to partial statistics and no state is kept. Both reduce leaf by leaf in a fixed tree,
// so results are bitwise the same for any thread count, block size and storage mode.
// This file holds the two entry points only; options, results and the engine's parts live in their own headers.
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/block_step.hpp>
#include <sdekit/detail/batched_block_runner.hpp>
#include <sdekit/detail/block_runner.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/detail/ensemble_start.hpp>
#include <sdekit/detail/for_each_block.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/detail/statistics_run.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/particles.hpp>
#include <sdekit/ensemble/result.hpp>

#include <cstddef>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace sdekit {

/// Runs options.particles particles of `problem` (an Sde, or per_particle(factory)) from x0 (a state, or a
/// sampler x0(i, rng)) with `stepper`, stopping a particle whose state turns non-finite or leaves `inside`. A batched
/// problem (core/block_step.hpp) is stepped a block of options.block_size particles at a time.
template <class Stepper, class Problem, class Init, class Domain = AnyState>
auto simulate_ensemble(const Stepper& stepper, const Problem& problem, const Init& x0, const EnsembleOptions& options,
                       const Domain& inside = {}) {
  using X = typename detail::initial_state<Init>::type;
  using P = typename detail::particle_problem<Problem>::type;
  constexpr bool batched = [] {
    if constexpr (is_sde_v<P> && is_eigen_v<X>) return batched_problem_v<P, X>;
    else return false;
  }();
  if constexpr (batched) {
    static_assert(!detail::is_per_particle_v<Problem>,
                  "sdekit::simulate_ensemble: per_particle factories make one problem per particle, batched problems "
                  "take blocks of particles: give a batched problem directly (per-particle parameters can live in "
                  "extra state components)");
    static_assert(check_block_stepper<Stepper, P, X>());
  } else {
    static_assert(check_stepper<Stepper, P, X>());
  }
  constexpr const char* where = "sdekit::simulate_ensemble";
  const detail::EnsembleStart<X> start = detail::start_ensemble(options, x0, where);
  const TimeGrid& grid = start.grid;
  const std::size_t dimension = start.dimension;

  // The noise dimension comes from the first particle whose problem can be made (a throwing factory fails only
  // its own particle); the sizes are checked on the reference particle's state.
  auto noise_dimension_of = [&](const auto& particle_problem) {
    return noise_dimension(particle_problem, start.first, options.t0, where);
  };
  std::size_t m = 0;
  if constexpr (detail::is_per_particle_v<Problem>)
    m = noise_dimension_of(
        detail::first_that_succeeds(
            options.particles, [&](std::size_t i) { return problem.make(i); }, where, "per_particle factory")
            .second);
  else m = noise_dimension_of(problem);

  auto run_block = [&](auto& block, std::size_t begin) {
    for (std::size_t p = 0; p < block.count; ++p) {
      X x;
      std::string failure = detail::start_state(x0, options.seed, begin + p, dimension, start.reference, x);
      std::string problem_failure = block.add_problem(p);  // one entry per particle, failed or not
      if (failure.empty()) failure = std::move(problem_failure);
      if (failure.empty()) block.start(std::move(x));
      else block.start_failed(p, x, std::move(failure));
    }
    block.record(0);
    const std::size_t steps = grid.steps();
    for (std::size_t k = 0; k < steps; ++k) {
      if (k % 2 == 0)
        block.draw_pair(options.seed, k / 2, k + 1 < steps, grid.step_size(k),
                        k + 1 < steps ? grid.step_size(k + 1) : grid.step_size(k));
      block.step(k, grid.time(k), grid.step_size(k));
      block.record(k + 1);
    }
  };
  auto run_range = [&](auto& recorder, std::size_t begin, std::size_t end) {
    using Recorder = std::remove_reference_t<decltype(recorder)>;
    if constexpr (batched) {
      detail::BatchedBlockRunner<Stepper, P, X, Domain, Recorder> block(stepper, problem, inside, recorder, begin, end,
                                                                        m, dimension, options.increment_law);
      run_block(block, begin);
    } else {
      detail::BlockRunner<Stepper, Problem, P, X, Domain, Recorder> block(
          stepper, problem, inside, recorder, begin, end, m, options.increment_law, options.levy_area);
      run_block(block, begin);
    }
  };
  return detail::run_ensemble<X>(options, grid, dimension, run_range, where);
}

/// Runs options.particles particles of any Markov process given by advance(x, t_from, t_to, rng), which moves a
/// particle's state x across one step of the time grid using its own RandomStream(seed, i, 1) — discrete-time
/// maps, jump processes, anything that is not an SDE — with the same saves, statistics and reproducibility.
template <class Init, class Advance, class Domain = AnyState>
auto simulate_process_ensemble(const Init& x0, const Advance& advance, const EnsembleOptions& options,
                               const Domain& inside = {}) {
  using X = typename detail::initial_state<Init>::type;
  static_assert(StateType<X>, "sdekit: the state must be a double or an Eigen column vector of doubles");
  static_assert(std::is_invocable_v<const Advance&, X&, double, double, RandomStream&>,
                "sdekit::simulate_process_ensemble: advance must be callable as advance(x, t_from, t_to, rng) "
                "with x a state (by reference) and rng a sdekit::RandomStream&");
  constexpr const char* where = "sdekit::simulate_process_ensemble";
  const detail::EnsembleStart<X> start = detail::start_ensemble(options, x0, where);
  const TimeGrid& grid = start.grid;
  const std::size_t dimension = start.dimension;

  auto run_range = [&](auto& recorder, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      X x;
      std::string failure = detail::start_state(x0, options.seed, i, dimension, start.reference, x);
      if (!failure.empty()) {
        recorder.fail(i, 0, x, std::move(failure));
        continue;
      }
      recorder.record(i, 0, x);
      RandomStream rng(options.seed, i, 1);
      X before = x;
      for (std::size_t k = 0; k < grid.steps(); ++k) {
        before = x;
        try {
          advance(x, grid.time(k), grid.time(k + 1), rng);
        } catch (const std::exception& e) {
          recorder.fail(i, k, before, e.what());
          break;
        }
        if (const char* reason = detail::failure_reason(x, inside)) {
          recorder.fail(i, k, before, reason);
          break;
        }
        recorder.record(i, k + 1, x);
      }
    }
  };
  return detail::run_ensemble<X>(options, grid, dimension, run_range, where);
}

}  // namespace sdekit
