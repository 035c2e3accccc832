#pragma once
// Stochastic Heun (Euler–Heun predictor–corrector) for Stratonovich SDEs:
//   X̃ = X_n + a(X_n,t_n) h + b(X_n,t_n) ΔW
//   X_{n+1} = X_n + ½[a(X_n,t_n) + a(X̃,t_{n+1})] h + ½[b(X_n,t_n) + b(X̃,t_{n+1})] ΔW
// The trapezoidal average is what makes it converge to the Stratonovich solution: strong order 1.0 for
// commutative noise (scalar, diagonal, additive), 0.5 otherwise; weak order 1.0.
#include <sdekit/core/block_step.hpp>
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

  /// Takes in-place functors a(x, t, out), b(x, t, out) (core/problem.hpp).
  static constexpr bool takes_in_place_functors = true;

  /// Advances x from t to t + dt given the Wiener increment dW over that step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<StochasticHeun, P, X>());
    using B = diffusion_value_t<P, X>;
    if constexpr (detail::uses_step_buffers_v<P, X>) {
      // Dynamic sizes: every temporary in this thread's buffers (no allocation per step with in-place functors);
      // the same arithmetic as below.
      struct Buffers {
        X a0, noise0, predictor, a1, noise1;
        B b0, b1;
      };
      Buffers& w = detail::step_buffers<StochasticHeun, P, X, Buffers>();
      detail::drift_into(problem, x, t, w.a0);
      detail::diffusion_into(problem, x, t, dW, w.b0);
      detail::noise_term_into(w.b0, dW, w.noise0);
      w.predictor = x + w.a0 * dt + w.noise0;
      detail::drift_into(problem, w.predictor, t + dt, w.a1);
      detail::diffusion_into(problem, P::is_additive ? x : w.predictor, t + dt, dW, w.b1);
      detail::noise_term_into(w.b1, dW, w.noise1);
      x += 0.5 * ((w.a0 + w.a1) * dt + w.noise0 + w.noise1);
      return;
    }
    const X a0 = detail::drift_at(problem, x, t);
    const B b0 = detail::diffusion_at(problem, x, t, dW);
    const X noise0 = detail::noise_term<X>(b0, dW);
    const X predictor = x + a0 * dt + noise0;
    const X a1 = detail::drift_at(problem, predictor, t + dt);
    const B b1 = P::is_additive ? detail::diffusion_at(problem, x, t + dt, dW)
                                : detail::diffusion_at(problem, predictor, t + dt, dW);
    x += 0.5 * ((a0 + a1) * dt + noise0 + detail::noise_term<X>(b1, dW));
  }

  /// The batched form (core/block_step.hpp): advances every column of the block x, diagonal or general noise, with
  /// the arithmetic of do_step per element.
  template <class P, class X>
    requires batched_problem_v<P, X>
  void do_step_block(const P& problem, StateBlock& x, double t, double dt, const StateBlock& dW, SqrtStep,
                     BlockBuffers& w) const {
    detail::block_drift(problem, x, t, w.a);
    detail::block_noise(problem, x, t, dW, w.b, w.noise);
    detail::fit(w.next, x.rows(), x.cols()).array() = x.array() + w.a.array() * dt + w.noise.array();  // predictor
    detail::block_drift(problem, w.next, t + dt, w.a1);
    detail::block_noise(problem, P::is_additive ? x : w.next, t + dt, dW, w.b1, w.noise1);
    x.array() += 0.5 * ((w.a.array() + w.a1.array()) * dt + w.noise.array() + w.noise1.array());
  }
};

}  // namespace sdekit
