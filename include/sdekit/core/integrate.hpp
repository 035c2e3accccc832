#pragma once
// Integrating one path: a stepper, a problem, a state, a time span and step, a noise source, an observer.
// A noise source is any callable noise(step, t, dt, inc) that fills the increment of step `step` over [t, t + dt]
// — GaussianNoise, BrownianPath, or the user's own. The increment's type is the stepper's increment_t<S, P, X>:
// the Wiener increment ΔW (a double or a vector) for most schemes, a struct with ΔW, I_(1,0) and Lévy areas for
// schemes that ask for them (core/increment.hpp).
#include <sdekit/core/block_step.hpp>
#include <sdekit/core/step_failed.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/core/time_grid.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sdekit {

/// An observer that does nothing.
struct NullObserver {
  /// Ignores the state x at time t.
  template <class X>
  void operator()(const X&, double) const {}
};

/// What integrate does when a step makes the state non-finite (NaN or ±inf).
enum class OnNonFinite {
  stop,       ///< throw NonFiniteState at the first such step (the default: a silent NaN helps nobody)
  keep_going  ///< carry on, for users who want to see the NaNs
};

/// Thrown by integrate when a step makes the state non-finite (OnNonFinite::stop); says which step and when.
class NonFiniteState : public std::runtime_error {
 public:
  /// The message names `where`, the step, its time span and the state.
  NonFiniteState(std::string_view where, std::size_t step, double t_from, double t_to, const std::string& state)
      : std::runtime_error(std::string(where) + ": the state turned non-finite in step " + std::to_string(step) +
                           " from t = " + detail::to_text(t_from) + " to t = " + detail::to_text(t_to) +
                           ": x = " + state + " (pass sdekit::OnNonFinite::keep_going to continue anyway)"),
        step_(step),
        time_(t_from) {}
  std::size_t step() const { return step_; }  ///< index of the step that failed (0-based)
  double time() const { return time_; }       ///< time at the start of that step

 private:
  std::size_t step_;
  double time_;
};

namespace detail {
// A batched problem on one path: a block of one column through the stepper's batched form (core/block_step.hpp).
template <class Stepper, class P, class X, class Noise, class OnStep>
void run_grid_batched(Stepper& stepper, const P& problem, X& x, const TimeGrid& grid, Noise& noise,
                      std::string_view where, OnNonFinite on_non_finite, OnStep&& on_step) {
  static_assert(check_block_stepper<Stepper, P, X>());
  using W = wiener_increment_t<P, X>;
  static_assert(check_noise_source<Noise, W>());
  detail::require(all_finite(x), where, "x0", x, "must be finite");
  const std::size_t m = noise_dimension(problem, x, grid.time(0), where);
  W inc = make_zero_increment<W>(m);
  StateBlock block = x;
  StateBlock dW(static_cast<Eigen::Index>(m), 1);
  BlockBuffers work;
  for (std::size_t k = 0; k < grid.steps(); ++k) {
    const double t = grid.time(k);
    const double h = grid.step_size(k);
    noise(static_cast<std::uint64_t>(k), t, h, inc);
    dW.col(0) = inc;
    stepper.template do_step_block<P, X>(problem, block, t, h, dW, SqrtStep{std::sqrt(h)}, work);
    x = block.col(0);
    if (on_non_finite == OnNonFinite::stop && !all_finite(x))
      throw NonFiniteState(where, k, t, grid.time(k + 1), to_text(x));
    on_step(k + 1);
  }
}

template <class P, class X>
constexpr bool is_batched_path() {
  if constexpr (is_sde_v<P> && is_eigen_v<X>) return batched_problem_v<P, X>;
  else return false;
}

template <class Stepper, class P, class X, class Noise, class OnStep>
void run_grid_particle(Stepper& stepper, const P& problem, X& x, const TimeGrid& grid, Noise& noise,
                       std::string_view where, OnNonFinite on_non_finite, OnStep&& on_step) {
  static_assert(check_stepper<Stepper, P, X>());
  using Inc = increment_t<Stepper, P, X>;
  static_assert(check_noise_source<Noise, Inc>());
  detail::require(all_finite(x), where, "x0", x, "must be finite");
  Inc inc = make_zero_increment<Inc>(noise_dimension(problem, x, grid.time(0), where));
  for (std::size_t k = 0; k < grid.steps(); ++k) {
    const double t = grid.time(k);
    const double h = grid.step_size(k);
    noise(static_cast<std::uint64_t>(k), t, h, inc);
    try {
      stepper.do_step(problem, x, t, h, inc);
    } catch (const StepFailed& failure) {  // an implicit scheme's failed solve: add which step of the run it was
      throw StepFailed(std::string(where) + ": step " + std::to_string(k), failure);
    }
    if (on_non_finite == OnNonFinite::stop && !all_finite(x))
      throw NonFiniteState(where, k, t, grid.time(k + 1), to_text(x));
    on_step(k + 1);
  }
}

template <class Stepper, class P, class X, class Noise, class OnStep>
void run_grid(Stepper& stepper, const P& problem, X& x, const TimeGrid& grid, Noise& noise, std::string_view where,
              OnNonFinite on_non_finite, OnStep&& on_step) {
  if constexpr (is_batched_path<P, X>())
    run_grid_batched(stepper, problem, x, grid, noise, where, on_non_finite, on_step);
  else run_grid_particle(stepper, problem, x, grid, noise, where, on_non_finite, on_step);
}

}  // namespace detail

/// Integrates x from t0 to t1 with steps dt (the last one shortened to land on t1), calling obs(x, t) at t0 and
/// after every step. Returns the number of steps. Throws std::invalid_argument for dt ≤ 0, t1 < t0, more than
/// TimeGrid::max_steps steps, a non-finite x0, or drift/diffusion sizes that disagree with the state (checked every
/// step for dynamic sizes); throws NonFiniteState at the first step that makes x non-finite unless `on_non_finite`
/// is OnNonFinite::keep_going (x is then left as that step made it); throws StepFailed, naming the step index and
/// its time span, when a scheme cannot take a step (an implicit scheme's Newton solve that fails).
template <class Stepper, class P, class X, class Noise, class Observer = NullObserver>
std::size_t integrate(Stepper& stepper, const P& problem, X& x, double t0, double t1, double dt, Noise&& noise,
                      Observer&& obs = {}, OnNonFinite on_non_finite = OnNonFinite::stop) {
  const TimeGrid grid(t0, t1, dt, {}, "sdekit::integrate");
  obs(std::as_const(x), grid.time(0));
  detail::run_grid(stepper, problem, x, grid, noise, "sdekit::integrate", on_non_finite,
                   [&](std::size_t k) { obs(std::as_const(x), grid.time(k)); });
  return grid.steps();
}

/// Integrates x from times.front() to times.back() with steps of at most dt, landing exactly on every time in
/// `times` and calling obs(x, t) there (and only there). Returns the number of steps. Errors as for integrate.
template <class Stepper, class P, class X, class Noise, class Observer>
std::size_t integrate_times(Stepper& stepper, const P& problem, X& x, const std::vector<double>& times, double dt,
                            Noise&& noise, Observer&& obs, OnNonFinite on_non_finite = OnNonFinite::stop) {
  detail::require(!times.empty(), "sdekit::integrate_times", "times.size()", times.size(), "must be at least 1");
  const TimeGrid grid(times.front(), times.back(), dt, times, "sdekit::integrate_times", "times");
  std::size_t next_save = 0;
  auto observe_saves = [&](std::size_t k) {
    while (next_save < times.size() && grid.save_index(next_save) == k) {
      obs(std::as_const(x), times[next_save]);
      ++next_save;
    }
  };
  observe_saves(0);
  detail::run_grid(stepper, problem, x, grid, noise, "sdekit::integrate_times", on_non_finite, observe_saves);
  return grid.steps();
}

}  // namespace sdekit
