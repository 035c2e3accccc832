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
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/euler_order_traits.hpp>
#include <sdekit/detail/noise_term.hpp>
#include <sdekit/detail/theta_stage.hpp>

#include <type_traits>

namespace sdekit {

/// IMEX Euler–Maruyama for Itô SDEs with any noise kind, the drift split with split_drift(stiff, nonstiff);
/// Euler–Maruyama's orders and scope (detail::EulerOrderTraits).
class ImexEulerMaruyama : public detail::EulerOrderTraits {
 public:
  /// θ ∈ [0, 1] for the stiff part and the Newton policy; throws std::invalid_argument naming the argument otherwise.
  explicit ImexEulerMaruyama(double theta = 1.0, NewtonOptions newton = {})
      : stage_(theta, newton, "sdekit::ImexEulerMaruyama") {}
  /// θ.
  double theta() const { return stage_.theta(); }
  /// The Newton policy.
  const NewtonOptions& newton() const { return stage_.newton(); }

  /// Advances x from t to t + dt given the Wiener increment dW; throws StepFailed if the Newton solve fails.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<ImexEulerMaruyama, P, X>());
    const diffusion_value_t<P, X> b = detail::diffusion_at(problem, x, t, dW);
    if constexpr (detail::is_split_drift_v<std::decay_t<decltype(problem.drift)>>) {
      const auto& stiff = problem.drift.stiff;
      const X nonstiff = problem.drift.nonstiff(x, t);
      X explicit_part = x + dt * nonstiff + detail::noise_term<X>(b, dW);
      stage_.add_explicit_drift(explicit_part, dt, [&] { return stiff(x, t); });
      stage_.solve(stiff, x, explicit_part, t, dt, "sdekit::ImexEulerMaruyama");
    } else {
      X explicit_part = x + detail::noise_term<X>(b, dW);
      stage_.add_explicit_drift(explicit_part, dt, [&] { return detail::drift_at(problem, x, t); });
      stage_.solve(problem.drift, x, explicit_part, t, dt, "sdekit::ImexEulerMaruyama");
    }
  }

 private:
  detail::ThetaStage stage_;
};

}  // namespace sdekit
