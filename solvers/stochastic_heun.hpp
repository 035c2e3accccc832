#pragma once
// Stochastic Heun (Euler–Heun predictor–corrector) for Stratonovich SDEs:
//   X̃ = X_n + a(X_n,t_n) h + b(X_n,t_n) ΔW
//   X_{n+1} = X_n + ½[a(X_n,t_n) + a(X̃,t_{n+1})] h + ½[b(X_n,t_n) + b(X̃,t_{n+1})] ΔW
// The trapezoidal average is what makes it converge to the Stratonovich solution: strong order 1.0 for
// commutative noise (scalar, diagonal, additive), 0.5 otherwise; weak order 1.0.
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/noise_term.hpp>

namespace sdekit {

/// The stochastic Heun scheme for Stratonovich SDEs (and Itô SDEs with additive noise, where the two agree).
class StochasticHeun {
 public:
  /// Strong order on problem P: 1.0 for commutative noise (scalar, diagonal, additive, declared commutative),
  /// 0.5 for general noise whose columns do not commute.
  template <class P, class X>
  static constexpr double strong_order() {
    return noncommutative_noise<P, X>() ? 0.5 : 1.0;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return 1.0;
  }
  /// Stratonovich problems of any noise kind; Itô ones only with additive noise, where the calculi agree.
  template <class P, class X>
  static constexpr Support supports() {
    return P::is_stratonovich || P::is_additive ? Support::yes : Support::stratonovich_only;
  }
  /// ΔW only.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return NoiseInformation::wiener;
  }

  /// Advances x from t to t + dt given the Wiener increment dW over that step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<StochasticHeun, P, X>());
    using B = diffusion_value_t<P, X>;
    const X a0 = detail::drift_at(problem, x, t);
    const B b0 = detail::diffusion_at(problem, x, t, dW);
    const X noise0 = detail::noise_term<X>(b0, dW);
    const X predictor = x + a0 * dt + noise0;
    const X a1 = detail::drift_at(problem, predictor, t + dt);
    const B b1 = P::is_additive ? detail::diffusion_at(problem, x, t + dt, dW)
                                : detail::diffusion_at(problem, predictor, t + dt, dW);
    x += 0.5 * ((a0 + a1) * dt + noise0 + detail::noise_term<X>(b1, dW));
  }
};

}  // namespace sdekit
