#pragma once
// The stochastic θ-method (drift-implicit Euler–Maruyama):
//   X_{n+1} = X_n + [(1 − θ) a(X_n, t_n) + θ a(X_{n+1}, t_{n+1})] h + b(X_n, t_n) ΔW_n,
// θ = 1 backward (implicit EM), θ = ½ trapezoidal, θ = 0 explicit EM. The noise stays explicit (Itô). On the linear
// test equation dX = λX dt + μX dW its mean-square amplification per step is
//   E[X_{n+1}²] / E[X_n²] = ((1 + (1 − θ)λh)² + μ²h) / (1 − θλh)²,
// which is below 1 exactly when h(2λ + μ²) + (1 − 2θ)λ²h² < 0: for θ ≥ ½ it is mean-square stable at every h
// whenever the equation is (2λ + μ² < 0) — Higham, SIAM J. Numer. Anal. 38 (2000) 753–769. Strong order ½ (1 with
// additive noise), weak order 1. The stage equation y − θh a(y, t_{n+1}) = X_n + (1 − θ) a h + b ΔW is solved by
// Newton's method (core/newton.hpp); a failed solve throws StepFailed, never leaves a NaN.
#include <sdekit/core/newton.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/euler_order_traits.hpp>
#include <sdekit/detail/noise_term.hpp>
#include <sdekit/detail/theta_stage.hpp>

namespace sdekit {

/// The stochastic θ-method (implicit Euler–Maruyama for θ = 1) for Itô SDEs with any noise kind; Euler–Maruyama's
/// orders and scope (detail::EulerOrderTraits).
class ThetaMethod : public detail::EulerOrderTraits {
 public:
  /// θ ∈ [0, 1] (1: backward, ½: trapezoidal) and the Newton policy; throws std::invalid_argument naming the
  /// argument otherwise.
  explicit ThetaMethod(double theta = 1.0, NewtonOptions newton = {}) : stage_(theta, newton, "sdekit::ThetaMethod") {}
  /// θ.
  double theta() const { return stage_.theta(); }
  /// The Newton policy.
  const NewtonOptions& newton() const { return stage_.newton(); }

  /// Advances x from t to t + dt given the Wiener increment dW; throws StepFailed if the Newton solve fails.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<ThetaMethod, P, X>());
    const diffusion_value_t<P, X> b = detail::diffusion_at(problem, x, t, dW);
    X explicit_part = x + detail::noise_term<X>(b, dW);
    stage_.add_explicit_drift(explicit_part, dt, [&] { return detail::drift_at(problem, x, t); });
    stage_.solve(problem.drift, x, explicit_part, t, dt, "sdekit::ThetaMethod");
  }

 private:
  detail::ThetaStage stage_;
};

}  // namespace sdekit
