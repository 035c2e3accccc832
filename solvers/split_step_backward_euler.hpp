#pragma once
// Split-step backward Euler (Higham, Mao & Stuart, SIAM J. Numer. Anal. 40 (2002) 1041–1063):
//   Y  = X_n + h a(Y, t_n)                (a backward Euler step of the drift alone)
//   X_{n+1} = Y + b(Y, t_n) ΔW_n          (the noise, with b at the new drift point)
// Higham–Mao–Stuart prove strong convergence (order ½) for one-sided Lipschitz drifts such as x − x³, where explicit
// EM's moments diverge, and mean-square stability on the linear test equation for every h where it is stable. Strong
// order ½ (1 with additive noise, where b is constant), weak order 1. The drift stage is solved by Newton's method
// (core/newton.hpp); a failed solve throws StepFailed, never leaves a NaN.
#include <sdekit/core/newton.hpp>
#include <sdekit/core/step_failed.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/euler_order_traits.hpp>
#include <sdekit/detail/noise_term.hpp>

namespace sdekit {

/// Split-step backward Euler for Itô SDEs with any noise kind; Euler–Maruyama's orders and scope
/// (detail::EulerOrderTraits).
class SplitStepBackwardEuler : public detail::EulerOrderTraits {
 public:
  /// The Newton policy; throws std::invalid_argument naming a bad field.
  explicit SplitStepBackwardEuler(NewtonOptions newton = {}) : newton_(newton) {
    check_newton_options(newton, "sdekit::SplitStepBackwardEuler");
  }
  /// The Newton policy.
  const NewtonOptions& newton() const { return newton_; }

  /// Advances x from t to t + dt given the Wiener increment dW; throws StepFailed if the Newton solve fails.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<SplitStepBackwardEuler, P, X>());
    X y = x;
    const NewtonResult result = solve_stage(problem, y, x, dt, t, newton_);
    if (!result.converged()) throw StepFailed("sdekit::SplitStepBackwardEuler", result.reason(), t, dt);
    const diffusion_value_t<P, X> b = detail::diffusion_at(problem, y, t, dW);
    x = y + detail::noise_term<X>(b, dW);
  }

 private:
  NewtonOptions newton_;
};

}  // namespace sdekit
