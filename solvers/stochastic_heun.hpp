#pragma once
// Stochastic Heun (Euler–Heun predictor–corrector) for Stratonovich SDEs:
//   X̃ = X_n + a(X_n,t_n) h + b(X_n,t_n) ΔW
//   X_{n+1} = X_n + ½[a(X_n,t_n) + a(X̃,t_{n+1})] h + ½[b(X_n,t_n) + b(X̃,t_{n+1})] ΔW
// The trapezoidal average is what makes it converge to the Stratonovich solution: strong order 1.0 for
// commutative noise (scalar, diagonal, additive), 0.5 otherwise; weak order 1.0.
#include <sdekit/detail/noise_term.hpp>
#include <sdekit/core/problem.hpp>

namespace sdekit {

/// The stochastic Heun scheme for Stratonovich SDEs (and Itô SDEs with additive noise, where the two agree).
class StochasticHeun {
 public:
  /// Strong order for commutative noise.
  static constexpr double order() { return 1.0; }
  /// Weak order.
  static constexpr double weak_order() { return 1.0; }

  /// Advances x from t to t + dt given the Wiener increment dW over that step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_problem<P, X>());
    static_assert(P::is_stratonovich || P::is_additive,
                  "sdekit::StochasticHeun converges to the Stratonovich solution; declare the problem with "
                  "sdekit::stratonovich, or use sdekit::EulerMaruyama or sdekit::Milstein for an Itô problem");
    using B = diffusion_value_t<P, X>;
    const X a0 = problem.drift(x, t);
    const B b0 = problem.diffusion(x, t);
    const X noise0 = detail::noise_term<X>(b0, dW);
    const X predictor = x + a0 * dt + noise0;
    const X a1 = problem.drift(predictor, t + dt);
    const B b1 = P::is_additive ? problem.diffusion(x, t + dt) : problem.diffusion(predictor, t + dt);
    x += 0.5 * ((a0 + a1) * dt + noise0 + detail::noise_term<X>(b1, dW));
  }
};

}  // namespace sdekit
