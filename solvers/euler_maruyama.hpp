#pragma once
// Euler–Maruyama: X_{n+1} = X_n + a(X_n,t_n) h + b(X_n,t_n) ΔW_n.
// Strong order 0.5 (1.0 when the noise is additive), weak order 1.0. Itô problems only: on a Stratonovich
// problem it would silently converge to the Itô solution.
#include <sdekit/core/block_step.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/euler_order_traits.hpp>
#include <sdekit/detail/noise_term.hpp>

namespace sdekit {

/// The Euler–Maruyama scheme for Itô SDEs with any noise kind; its traits (detail::EulerOrderTraits) are shared with
/// the schemes of the same orders.
class EulerMaruyama : public detail::EulerOrderTraits {
 public:
  /// Takes in-place functors a(x, t, out), b(x, t, out) (core/problem.hpp).
  static constexpr bool takes_in_place_functors = true;

  /// Advances x from t to t + dt given the Wiener increment dW over that step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<EulerMaruyama, P, X>());
    using B = diffusion_value_t<P, X>;
    if constexpr (detail::uses_step_buffers_v<P, X>) {
      // Dynamic sizes: a, b (and b·dW for general noise) in this thread's buffers, so that with in-place functors a
      // step allocates nothing. Same arithmetic as below.
      struct Buffers {
        X a;
        B b;
        X noise;
      };
      Buffers& w = detail::step_buffers<EulerMaruyama, P, X, Buffers>();
      detail::drift_into(problem, x, t, w.a);
      detail::diffusion_into(problem, x, t, dW, w.b);
      if constexpr (noise_kind_v<P, X> == NoiseKind::general) {
        detail::noise_term_into(w.b, dW, w.noise);
        x += w.a * dt + w.noise;
      } else {
        x += w.a * dt + w.b.cwiseProduct(dW);
      }
    } else {
      const X a = detail::drift_at(problem, x, t);
      const B b = detail::diffusion_at(problem, x, t, dW);
      x += a * dt + detail::noise_term<X>(b, dW);
    }
  }

  /// The batched form (core/block_step.hpp): advances every column of the block x, diagonal or general noise; per
  /// element x + (a h + b·ΔW), the arithmetic of do_step.
  template <class P, class X>
    requires batched_problem_v<P, X>
  void do_step_block(const P& problem, StateBlock& x, double t, double dt, const StateBlock& dW, SqrtStep,
                     BlockBuffers& w) const {
    detail::block_drift(problem, x, t, w.a);
    if constexpr (noise_kind_v<P, X> == NoiseKind::general) {
      detail::block_noise(problem, x, t, dW, w.b, w.noise);
      x.array() += w.a.array() * dt + w.noise.array();
    } else {  // b·ΔW fused into the update: one pass fewer over the block, the same arithmetic per element
      detail::block_diffusion(problem, x, t, w.b);
      x.array() += w.a.array() * dt + w.b.array() * dW.array();
    }
  }
};

}  // namespace sdekit
