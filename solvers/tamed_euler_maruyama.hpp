#pragma once
// Tamed Euler–Maruyama (Hutzenthaler, Jentzen & Kloeden, Ann. Appl. Probab. 22 (2012) 1611–1641):
//   X_{n+1} = X_n + h a(X_n, t_n) / (1 + h ‖a(X_n, t_n)‖) + b(X_n, t_n) ΔW_n.
// For drifts that grow superlinearly (a = x − x³) explicit EM's moments diverge as h → 0 (Hutzenthaler, Jentzen &
// Kloeden, Proc. R. Soc. A 467 (2011)): a rare large excursion is amplified without bound. The tamed increment is
// at most 1 in norm per step, which keeps every moment bounded, while it differs from EM's by O(h²‖a‖²) per step,
// so the orders are EM's: strong ½ (1 with additive noise), weak 1. Explicit: no Newton solve, no failure mode of
// its own.
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/euler_order_traits.hpp>
#include <sdekit/detail/noise_term.hpp>

#include <cmath>

namespace sdekit {

/// Tamed Euler–Maruyama for Itô SDEs with superlinearly growing (one-sided Lipschitz) drifts; any noise kind;
/// Euler–Maruyama's orders and scope (detail::EulerOrderTraits).
class TamedEulerMaruyama : public detail::EulerOrderTraits {
 public:
  /// Advances x from t to t + dt given the Wiener increment dW over that step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<TamedEulerMaruyama, P, X>());
    const X a = detail::drift_at(problem, x, t);
    const diffusion_value_t<P, X> b = detail::diffusion_at(problem, x, t, dW);
    double size;
    if constexpr (std::is_arithmetic_v<X>) size = std::abs(a);
    else size = a.norm();
    x += (dt / (1.0 + dt * size)) * a + detail::noise_term<X>(b, dW);
  }
};

}  // namespace sdekit
