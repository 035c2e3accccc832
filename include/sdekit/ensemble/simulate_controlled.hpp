#pragma once
// Ensembles of runs that always end: simulate_process_ensemble with a RunControl (event and wall-time limits, a
// stop predicate), the outcome of each run, and progress reported within long runs. Saves after a run stopped keep
// its state (the stopped process); saves after a run was cut by a limit are NaN, and the run is counted by outcome.
#include <sdekit/core/increment.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/byte_stream.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/detail/ensemble_start.hpp>
#include <sdekit/detail/for_each_block.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/detail/run_budget.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/boundaries.hpp>
#include <sdekit/ensemble/distribution.hpp>
#include <sdekit/ensemble/particles.hpp>
#include <sdekit/ensemble/run_control.hpp>

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit {

namespace detail {

/// In a distributed run each process ran the particles of its segments only (`ran`): sends their ends to every
/// process, bit for bit, so that every process holds the ends of all runs (outcome counts, survival curves).
inline void gather_run_ends(ParticleDistribution& distribution, std::vector<RunEnd>& ends,
                            const std::vector<unsigned char>& ran) {
  ByteWriter out;
  std::size_t count = 0;
  for (unsigned char r : ran) count += r;
  out.put(count);
  for (std::size_t i = 0; i < ends.size(); ++i) {
    if (!ran[i]) continue;
    out.put(i);
    out.put(ends[i]);
  }
  for (const std::string& bytes : distribution.all_gather(out.bytes())) {
    ByteReader in(bytes);
    const auto n = in.get<std::size_t>();
    for (std::size_t j = 0; j < n; ++j) {
      const auto i = in.get<std::size_t>();
      const auto end = in.get<RunEnd>();
      if (i < ends.size()) ends[i] = end;
    }
  }
}

}  // namespace detail

/// Runs options.particles runs of a Markov process given by advance(x, t_from, t_to, rng, budget) under `control`.
/// advance moves x across one step of the time grid with the particle's RandomStream(seed, i, 1), asks
/// budget.allow_event(t) before each event (false: a limit was reached, return false) and, when it sees the stop
/// predicate hold at time t, calls budget.end(RunOutcome::stopped, t) and returns false; it returns true when it
/// reached t_to. The predicate is also checked at t0 and at every grid time, so a process whose advance does not
/// look at it still stops at grid resolution.
template <class Init, class Advance, class Stop>
auto simulate_controlled_process_ensemble(const Init& x0, const Advance& advance, const EnsembleOptions& options,
                                          const RunControl<Stop>& control) {
  using X = typename detail::initial_state<Init>::type;
  static_assert(StateType<X>, "sdekit: the state must be a double or an Eigen column vector of doubles");
  static_assert(std::is_invocable_r_v<bool, const Advance&, X&, double, double, RandomStream&, detail::RunBudget&>,
                "sdekit::simulate_controlled_process_ensemble: advance must be callable as advance(x, t_from, t_to, "
                "rng, budget) -> bool with budget a sdekit::detail::RunBudget&");
  constexpr const char* where = "sdekit::simulate_controlled_process_ensemble";
  detail::validate_run_control(control, where);
  const detail::EnsembleStart<X> start = detail::start_ensemble(options, x0, where);
  const TimeGrid& grid = start.grid;
  const std::size_t steps = grid.steps();

  detail::EnsembleRecorder<X> recorder(options, grid, start.dimension);
  std::vector<RunEnd> ends(options.particles);
  std::vector<unsigned char> ran(options.particles, 0);  // the runs of this process's segments
  auto run_one = [&](std::size_t i, detail::ProgressTracker& tracker) {
    ran[i] = 1;
    X x;
    std::string failure = detail::start_state(x0, options.seed, i, start.dimension, start.reference, x);
    if (!failure.empty()) {
      recorder.fail(i, 0, x, std::move(failure));
      ends[i] = {RunOutcome::failed, options.t0, 0};
      return;
    }
    detail::RunBudget budget(control.max_events, control.max_wall_seconds, &tracker, options.t0, options.t1);
    RandomStream rng(options.seed, i, 1);
    auto stopped_from = [&](std::size_t k, double t) {  // the stopped process keeps x at the later saves
      for (std::size_t s = k; s <= steps; ++s) recorder.record(i, s, x);
      budget.end(RunOutcome::stopped, t);
      ends[i] = budget.result();
    };
    if (detail::stop_holds(control.stop, x, options.t0)) return stopped_from(0, options.t0);
    recorder.record(i, 0, x);
    X before = x;
    for (std::size_t k = 0; k < steps; ++k) {
      before = x;
      bool reached = false;
      try {
        reached = advance(x, grid.time(k), grid.time(k + 1), rng, budget);
      } catch (const std::exception& e) {
        recorder.fail(i, k, before, e.what());
        ends[i] = {RunOutcome::failed, grid.time(k), budget.result().events};
        return;
      }
      if (const char* reason = detail::failure_reason(x, AnyState{})) {
        recorder.fail(i, k, before, reason);
        ends[i] = {RunOutcome::failed, grid.time(k), budget.result().events};
        return;
      }
      if (!reached) {
        const RunEnd e = budget.result();
        if (e.outcome == RunOutcome::stopped) return stopped_from(k + 1, e.time);
        ends[i] = e;  // a limit: the saves from here on stay NaN
        return;
      }
      if (detail::stop_holds(control.stop, x, grid.time(k + 1))) return stopped_from(k + 1, grid.time(k + 1));
      recorder.record(i, k + 1, x);
    }
    budget.end(RunOutcome::completed, grid.time(steps));
    ends[i] = budget.result();
  };
  detail::for_each_block(options, recorder, [&](std::size_t begin, std::size_t end, detail::ProgressTracker& tracker) {
    for (std::size_t i = begin; i < end; ++i) {
      run_one(i, tracker);
      tracker.particles_done(1, i + 1 == end);
    }
  });
  ControlledResult<X> out;
  static_cast<EnsembleResult<X>&>(out) = recorder.finish();
  // Collective like finish(): every process gets here, or every process threw from for_each_block.
  if (options.distribution) detail::gather_run_ends(*options.distribution, ends, ran);
  out.ends = std::move(ends);
  for (const RunEnd& e : out.ends) ++out.outcome_counts[static_cast<std::size_t>(e.outcome)];
  return out;
}

/// SDE runs that always end: `problem` stepped by `stepper` on the grid of options from x0 (a state, or a
/// sampler x0(i, rng)), each run ending at t1, when control.stop(x, t) holds at a grid time, when a component
/// reaches an absorbing end of `boundaries` (reflecting ends mirror it back), after control.max_events steps or
/// control.max_wall_seconds. The noise of particle i comes from its RandomStream(seed, i, 1) (ΔW = √h·Z, step
/// integrals as GaussianNoise completes them), so the runs are reproducible for any thread count, but they are not
/// the paths simulate_ensemble draws. first_passage_survival(result.ends) gives the first-passage times.
template <class Stepper, class Problem, class Init, class Stop = NeverStop>
auto simulate_controlled_ensemble(const Stepper& stepper, const Problem& problem, const Init& x0,
                                  const EnsembleOptions& options, const RunControl<Stop>& control = {},
                                  const std::vector<Boundary>& boundaries = {}) {
  using X = typename detail::initial_state<Init>::type;
  static_assert(check_stepper<Stepper, Problem, X>());
  using Inc = increment_t<Stepper, Problem, X>;
  constexpr const char* where = "sdekit::simulate_controlled_ensemble";
  const X first = detail::start_ensemble(options, x0, where).first;  // a sampler that throws fails its particle only
  detail::validate_boundaries(boundaries, state_size(first), where);
  const std::size_t m = noise_dimension(problem, first, options.t0, where);
  // One increment per thread, made before the run: dynamic-size increments are not allocated per step.
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  std::vector<Inc> increments(static_cast<std::size_t>(std::max(threads, 1)), make_zero_increment<Inc>(m));
  auto advance = [&](X& x, double t_from, double t_to, RandomStream& rng, detail::RunBudget& budget) {
    if (!budget.allow_event(t_from)) return false;
    const auto slot = std::min(static_cast<std::size_t>(std::max(omp_get_thread_num(), 0)), increments.size() - 1);
    Inc& inc = increments[slot];
    const double h = t_to - t_from, sqrt_h = std::sqrt(h);
    auto& dW = wiener_part(inc);
    if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(dW)>>) dW = sqrt_h * rng.normal();
    else
      for (Eigen::Index c = 0; c < dW.size(); ++c) dW[c] = sqrt_h * rng.normal();
    detail::complete_increment(inc, h, [&](std::size_t) { return rng.normal(); });
    stepper.do_step(problem, x, t_from, h, inc);
    if (!boundaries.empty() && !detail::apply_boundaries(x, boundaries)) {
      budget.end(RunOutcome::stopped, t_to);
      return false;
    }
    return true;
  };
  // A run starting outside an absorbing interval has already passed: the stop predicate sees it at t0.
  auto stop = [&](const X& x, double t) {
    return !detail::inside_boundaries(x, boundaries) || detail::stop_holds(control.stop, x, t);
  };
  return simulate_controlled_process_ensemble(
      x0, advance, options, RunControl<decltype(stop)>{control.max_events, control.max_wall_seconds, stop});
}

}  // namespace sdekit
