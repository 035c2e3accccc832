#pragma once
// Euler–Maruyama: X_{n+1} = X_n + a(X_n,t_n) h + b(X_n,t_n) ΔW_n.
// Strong order 0.5 (1.0 when the noise is additive), weak order 1.0. Itô problems only: on a Stratonovich
// problem it would silently converge to the Itô solution.
#include <sdekit/detail/noise_term.hpp>
#include <sdekit/core/problem.hpp>

namespace sdekit {

/// The Euler–Maruyama scheme for Itô SDEs with any noise kind.
class EulerMaruyama {
 public:
  /// Strong order (0.5; 1.0 on additive noise, see strong_order).
  static constexpr double order() { return 0.5; }
  /// Strong order on problem P: 1.0 when its noise is declared additive.
  template <class P>
  static constexpr double strong_order() { return P::is_additive ? 1.0 : 0.5; }
  /// Weak order.
  static constexpr double weak_order() { return 1.0; }

  /// Advances x from t to t + dt given the Wiener increment dW over that step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_problem<P, X>());
    static_assert(!P::is_stratonovich || P::is_additive,
                  "sdekit::EulerMaruyama integrates Itô SDEs; for a Stratonovich problem use sdekit::StochasticHeun "
                  "or sdekit::Milstein (or convert the drift to Itô form)");
    const X a = problem.drift(x, t);
    const diffusion_value_t<P, X> b = problem.diffusion(x, t);
    x += a * dt + detail::noise_term<X>(b, dW);
  }
};

}  // namespace sdekit
