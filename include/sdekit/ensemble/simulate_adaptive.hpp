#pragma once
// Ensembles with adaptive steps: every particle chooses its own steps with integrate_adaptive between consecutive
// boundaries of the ensemble's time grid (EnsembleOptions::dt and save times: the grid says where states are recorded,
// not how the particles step), with the saves, statistics, failures and kept paths of simulate_ensemble.
//
// The noise of particle i over grid interval k is the virtual Brownian tree BrownianTree(seed_k, t_k, t_{k+1}, depth,
// m, i) with seed_k a pure function of (seed, k) (splitmix64): Brownian increments over disjoint intervals are
// independent, so these trees together are one Brownian path on [t0, T], and every grid time is a node of its tree,
// whatever the grid. So particle i's steps and states are a pure function of (seed, i): bitwise the same for any thread
// count, block size and storage mode. The controller carries its last step across boundaries (dt_initial of the next
// interval). A particle whose run stops early (AdaptiveStop other than reached_end) fails there, with the reason.
#include <sdekit/core/adaptive.hpp>
#include <sdekit/ensemble/simulate.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sdekit {

/// What simulate_adaptive_ensemble returns: the ensemble's result and, per particle, its adaptive run summed over the
/// grid intervals (accepted and rejected steps, the stop reason and time of its last run, its last step).
template <class X>
struct AdaptiveEnsembleResult {
  EnsembleResult<X> ensemble;        ///< saves, statistics, failures and paths as simulate_ensemble's
  std::vector<AdaptiveResult> runs;  ///< particle i's adaptive run (a default one for a particle that never started)
};

namespace detail {
/// The seed of grid interval k's trees (splitmix64 of seed + (k + 1)·golden ratio).
inline std::uint64_t interval_seed(std::uint64_t seed, std::size_t k) {
  std::uint64_t z = seed + (static_cast<std::uint64_t>(k) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace detail

/// Runs options.particles particles of `problem` (an Sde; per_particle factories are not supported here, and
/// options.increment_law must be gaussian: the noise is the trees' Brownian path) from x0 (a state, or a sampler
/// x0(i, rng)) with `stepper` and adaptive steps (`adaptive`; its stop_times must be empty: the grid's
/// boundaries are landed on), each grid interval on a tree with 2^depth leaves. Throws std::invalid_argument naming a
/// bad option or depth.
template <class Stepper, class Problem, class Init>
AdaptiveEnsembleResult<typename detail::initial_state<Init>::type> simulate_adaptive_ensemble(
    const Stepper& stepper, const Problem& problem, const Init& x0, const EnsembleOptions& options,
    const AdaptiveOptions& adaptive = {}, int depth = 30) {
  using X = typename detail::initial_state<Init>::type;
  static_assert(check_stepper<Stepper, Problem, X>());
  constexpr const char* where = "sdekit::simulate_adaptive_ensemble";
  detail::require(adaptive.stop_times.empty(), where, "adaptive.stop_times", adaptive.stop_times.size(),
                  "must be empty (the grid's boundaries are the stop times)");
  detail::require(options.increment_law == IncrementLaw::gaussian, where, "options.increment_law",
                  std::string("a discrete law"), "must be gaussian (the trees' path is Gaussian)");
  const detail::EnsembleStart<X> start = detail::start_ensemble(options, x0, where);
  const TimeGrid& grid = start.grid;
  const std::size_t dimension = start.dimension;
  using Inc = increment_t<Stepper, Problem, X>;
  Inc zero = make_zero_increment<Inc>(noise_dimension(problem, start.first, options.t0, where));
  const std::size_t m = static_cast<std::size_t>(wiener_dimension(wiener_part(zero)));
  {  // Bad options and depth throw here, once, rather than inside the parallel loop.
    BrownianTree probe(options.seed, grid.time(0), grid.time(1), depth, m, 0);
    AdaptiveOptions one = adaptive;
    one.max_steps = 1;
    Stepper s = stepper;
    X x = start.first;
    (void)integrate_adaptive(s, problem, x, probe, one);
  }
  AdaptiveEnsembleResult<X> out;
  out.runs.assign(options.particles, AdaptiveResult{});
  auto run_range = [&](auto& recorder, std::size_t begin, std::size_t end) {
    Stepper s = stepper;
    for (std::size_t i = begin; i < end; ++i) {
      X x;
      std::string failure = detail::start_state(x0, options.seed, i, dimension, start.reference, x);
      if (!failure.empty()) {
        recorder.fail(i, 0, x, std::move(failure));
        continue;
      }
      recorder.record(i, 0, x);
      AdaptiveResult& total = out.runs[i];
      total = AdaptiveResult{};  // (a multi-pass statistics run simulates a particle again)
      AdaptiveOptions step_options = adaptive;
      for (std::size_t k = 0; k < grid.steps(); ++k) {
        BrownianTree tree(detail::interval_seed(options.seed, k), grid.time(k), grid.time(k + 1), depth, m, i);
        const X before = x;
        const AdaptiveResult r = integrate_adaptive(s, problem, x, tree, step_options);
        total.accepted += r.accepted;
        total.rejected += r.rejected;
        total.stop = r.stop;
        total.t = r.t;
        if (r.accepted > 0) total.last_dt = r.last_dt;
        if (r.stop != AdaptiveStop::reached_end) {
          recorder.fail(
              i, k, before,
              std::string("integrate_adaptive stopped (") + to_string(r.stop) + ") at t = " + detail::to_text(r.t));
          break;
        }
        recorder.record(i, k + 1, x);
        step_options.dt_initial = total.last_dt;  // the controller's step carries over the boundary
      }
    }
  };
  out.ensemble = detail::run_ensemble<X>(options, grid, dimension, run_range, where);
  return out;
}

}  // namespace sdekit
