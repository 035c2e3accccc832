#pragma once
// IMEX Euler–Maruyama: the drift split by the user (split_drift) into a stiff part S, treated by the θ-method, and a
// non-stiff part N, treated explicitly:
//   X_{n+1} = X_n + [N(X_n, t_n) + (1 − θ) S(X_n, t_n) + θ S(X_{n+1}, t_{n+1})] h + b(X_n, t_n) ΔW_n.
// The Newton solve (core/newton.hpp) sees S alone, so its Jacobian is S's (given with split_drift(stiff, jacobian,
// nonstiff), or by differences of S) and an expensive or non-smooth N is evaluated once per step. A drift that is
// not split is all stiff: the scheme is then the θ-method. Strong order ½ (1 with additive noise), weak order 1, as
// for the θ-method; a failed solve throws StepFailed, never leaves a NaN.
#include <sdekit/core/drift_jacobian.hpp>
#include <sdekit/core/newton.hpp>
#include <sdekit/core/step_failed.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/noise_term.hpp>

#include <type_traits>

namespace sdekit {

/// IMEX Euler–Maruyama for Itô SDEs with any noise kind; the drift split with split_drift(stiff, nonstiff).
class ImexEulerMaruyama {
 public:
  /// θ ∈ [0, 1] for the stiff part and the Newton policy; throws std::invalid_argument naming the argument otherwise.
  explicit ImexEulerMaruyama(double theta = 1.0, NewtonOptions newton = {}) : theta_(theta), newton_(newton) {
    detail::require(theta >= 0 && theta <= 1, "sdekit::ImexEulerMaruyama", "theta", theta, "must lie in [0, 1]");
    check_newton_options(newton, "sdekit::ImexEulerMaruyama");
  }
  /// θ.
  double theta() const { return theta_; }
  /// The Newton policy.
  const NewtonOptions& newton() const { return newton_; }

  /// Strong order on problem P: 1.0 when its noise is declared additive, 0.5 otherwise.
  template <class P, class X>
  static constexpr double strong_order() {
    return P::is_additive ? 1.0 : 0.5;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return 1.0;
  }
  /// Itô problems of any noise kind; Stratonovich ones only with additive noise.
  template <class P, class X>
  static constexpr Support supports() {
    return !P::is_stratonovich || P::is_additive ? Support::yes : Support::ito_only;
  }
  /// ΔW only.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return NoiseInformation::wiener;
  }

  /// Advances x from t to t + dt given the Wiener increment dW; throws StepFailed if the Newton solve fails.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<ImexEulerMaruyama, P, X>());
    const diffusion_value_t<P, X> b = detail::diffusion_at(problem, x, t, dW);
    if constexpr (detail::is_split_drift_v<std::decay_t<decltype(problem.drift)>>) {
      const auto& stiff = problem.drift.stiff;
      const X nonstiff = problem.drift.nonstiff(x, t);
      X explicit_part = x + dt * nonstiff + detail::noise_term<X>(b, dW);
      if (theta_ != 1.0) explicit_part += (1.0 - theta_) * dt * X(stiff(x, t));  // none for θ = 1
      finish(stiff, x, explicit_part, t, dt);
    } else {
      X explicit_part = x + detail::noise_term<X>(b, dW);
      if (theta_ != 1.0) explicit_part += (1.0 - theta_) * dt * detail::drift_at(problem, x, t);
      finish(problem.drift, x, explicit_part, t, dt);
    }
  }

 private:
  template <class D, class X>
  void finish(const D& stiff, X& x, const X& explicit_part, double t, double dt) const {
    if (theta_ == 0.0) {
      x = explicit_part;
      return;
    }
    X y = explicit_part;
    const NewtonResult result = solve_drift_stage(stiff, y, explicit_part, theta_ * dt, t + dt, newton_);
    if (!result.converged()) throw StepFailed("sdekit::ImexEulerMaruyama", result.reason(), t, dt);
    x = y;
  }

  double theta_;
  NewtonOptions newton_;
};

}  // namespace sdekit
