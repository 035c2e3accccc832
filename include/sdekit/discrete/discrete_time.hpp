#pragma once
// Discrete-time processes on the ensemble engine: time counts steps, so an ensemble runs with dt = 1 on integer
// times and each grid step is one application of the process's step(x, t, rng). The process draws its noise
// from the particle's RandomStream(seed, i, 1), so runs keep the ensemble's reproducibility promises.
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace sdekit {

/// A discrete-time process on states X: step(x, t, rng) replaces x = x_{t−1} by a draw of x_t.
template <class Process, class X>
concept DiscreteTimeProcess = requires(const Process& p, X& x, std::int64_t t, RandomStream& rng) {
  p.step(x, t, rng);
};

namespace detail {

inline bool is_whole_number(double t) { return std::isfinite(t) && std::floor(t) == t; }

/// Discrete time counts steps: dt = 1 and whole-number t0, t1 and save times.
inline void validate_discrete_times(const EnsembleOptions& options, std::string_view where) {
  require(options.dt == 1.0, where, "dt", options.dt,
          "must be 1 for a discrete-time process (one step per unit of time)");
  require(is_whole_number(options.t0), where, "t0", options.t0, "must be a whole number (time counts steps)");
  require(is_whole_number(options.t1), where, "t1", options.t1, "must be a whole number (time counts steps)");
  for (std::size_t i = 0; i < options.save_times.size(); ++i)
    require(is_whole_number(options.save_times[i]), where, "save_times[" + std::to_string(i) + "]",
            options.save_times[i], "must be a whole number (time counts steps)");
}

}  // namespace detail

/// Runs options.particles independent copies of a discrete-time process from x0 (a state, or a sampler
/// x0(i, rng)) from time t0 to t1 (whole numbers, dt = 1), with the statistics, failures and reproducibility of
/// simulate_process_ensemble; a particle whose state turns non-finite or leaves `inside` is stopped and reported.
template <class Process, class Init, class Domain = AnyState>
auto simulate_discrete_process(const Process& process, const Init& x0, const EnsembleOptions& options,
                               const Domain& inside = {}) {
  using X = typename detail::initial_state<Init>::type;
  static_assert(DiscreteTimeProcess<Process, X>,
                "sdekit::simulate_discrete_process: the process must provide step(x, t, rng) for this state type");
  detail::validate_discrete_times(options, "sdekit::simulate_discrete_process");
  auto advance = [&process](X& x, double t_from, double t_to, RandomStream& rng) {
    // The grid of a dt = 1 run on whole-number times has unit steps; the loop is a guard, not a tuning knob.
    const auto first = static_cast<std::int64_t>(std::llround(t_from));
    const auto last = static_cast<std::int64_t>(std::llround(t_to));
    for (std::int64_t t = first + 1; t <= last; ++t) process.step(x, t, rng);
  };
  return simulate_process_ensemble(x0, advance, options, inside);
}

}  // namespace sdekit
