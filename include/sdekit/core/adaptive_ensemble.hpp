#pragma once
// Many particles with adaptive steps: particle p integrates on its own virtual Brownian tree (seed, p) with
// integrate_adaptive, so each chooses its own steps, and its result is a pure function of (seed, p): bitwise the same
// for any thread count and schedule. A first step towards adaptive steps inside the ensemble engine (ensemble/),
// which does not take them yet: this returns the final states and each particle's run report, not statistics.
#include <sdekit/core/adaptive.hpp>

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sdekit {

/// What simulate_adaptive returns: per particle, its state at the time it stopped and its run report (stop reason,
/// time reached, accepted and rejected steps).
template <class X>
struct AdaptiveEnsembleResult {
  std::vector<X> states;             ///< particle p's final state
  std::vector<AdaptiveResult> runs;  ///< particle p's run report
  /// Particles that did not reach t1 (stopped for max_steps, dt_min or a non-finite state).
  std::size_t failed() const {
    std::size_t n = 0;
    for (const AdaptiveResult& r : runs) n += r.stop != AdaptiveStop::reached_end;
    return n;
  }
};

/// Integrates `particles` copies of x0 from t0 to t1 with adaptive steps, particle p on BrownianTree(seed, t0, t1,
/// depth, m, p) (m the problem's number of Wiener processes), on `threads` OpenMP threads (0: the default). A path
/// that cannot be integrated is reported in its run (never thrown); bad options throw as integrate_adaptive's do.
template <class Stepper, class P, class X>
AdaptiveEnsembleResult<X> simulate_adaptive(const Stepper& stepper, const P& problem, const X& x0,
                                            std::size_t particles, std::uint64_t seed, double t0, double t1, int depth,
                                            const AdaptiveOptions& options = {}, int threads = 0) {
  using Inc = increment_t<Stepper, P, X>;
  Inc zero = make_zero_increment<Inc>(noise_dimension(problem, x0, t0, "sdekit::simulate_adaptive"));
  const std::size_t dimension = static_cast<std::size_t>(wiener_dimension(wiener_part(zero)));
  {  // Validate the tree's and the options' arguments once, outside the parallel loop (a throw there would abort).
    BrownianTree probe(seed, t0, t1, depth, dimension, particles > 0 ? particles - 1 : 0);
    AdaptiveOptions one = options;
    one.max_steps = 1;
    Stepper s = stepper;
    X x = x0;
    (void)integrate_adaptive(s, problem, x, probe, one);
  }
  AdaptiveEnsembleResult<X> out;
  out.states.assign(particles, x0);
  out.runs.assign(particles, AdaptiveResult{});
  const long n = static_cast<long>(particles);
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (long i = 0; i < n; ++i) {
    const auto p = static_cast<std::size_t>(i);
    BrownianTree tree(seed, t0, t1, depth, dimension, p);
    Stepper s = stepper;
    out.runs[p] = integrate_adaptive(s, problem, out.states[p], tree, options);
  }
  return out;
}

}  // namespace sdekit
