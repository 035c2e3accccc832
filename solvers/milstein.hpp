#pragma once
// Milstein: Euler–Maruyama plus the term that makes it strong order 1.0,
//   Itô:           X_{n+1} = X_n + a h + b ΔW + ½ b b' (ΔW² − h)
//   Stratonovich:  X_{n+1} = X_n + a h + b ΔW + ½ b b' ΔW²
// with b' = ∂b/∂x taken from the problem when it provides one (Sde::with_diffusion_derivative), and otherwise
// replaced by differences of b that keep the local error's mean O(h²) — the condition for strong order 1:
//   Itô:           ½ b b' (ΔW² − h) ≈ [b(X + a h + b √h) − b(X)] (ΔW² − h) / (2√h)   (Kloeden–Platen; the
//                  factor ΔW² − h has mean zero, so the O(√h) error of the one-sided difference averages out)
//   Stratonovich:  ½ b b' ΔW²       ≈ ½ [b(X + b ΔW) − b(X)] ΔW   (the error terms are odd in ΔW, or O(h²))
// Diagonal noise applies this componentwise (component i of b may depend on x_i only). General n×m noise needs
// commuting columns (L^j b^k = L^k b^j), where the double integrals reduce to products of increments:
//   ½ Σ_jk L^j b^k ΔW_j ΔW_k ≈ ½ [B(X + BΔW) − B(X)] ΔW,
// and the Itô form subtracts ½ h Σ_j L^j b^j ≈ ¼ √h Σ_j [b^j(X + b^j √h) − b^j(X − b^j √h)] (a central
// difference: a one-sided one would leave a mean error of order h^{3/2} per step). Non-commutative general noise
// also needs the antisymmetric part of the double integrals, I_(j,k) − I_(k,j) = 2 A_jk with the Lévy areas of the
// step (Kloeden–Platen (10.3.3)):
//   Σ_{j<k} (L^j b^k − L^k b^j) A_jk,   L^j b^k ≈ [b^k(X + b^j √h) − b^k(X − b^j √h)] / (2√h)
// reusing the central differences of the Itô shift (so the area term costs no extra evaluation of b in Itô form).
// For such problems noise_information is levy_area: the noise source draws A_jk with an algorithm whose truncation
// follows h (LevyAreaAlgorithm), so the scheme keeps strong order 1.
#include <sdekit/core/block_step.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/noise_term.hpp>

#include <cmath>

namespace sdekit {

/// The Milstein scheme, Itô or Stratonovich as the problem says; derivative-free unless ∂b/∂x is given.
class Milstein {
 public:
  /// Strong order.
  template <class P, class X>
  static constexpr double strong_order() {
    return 1.0;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return 1.0;
  }
  /// Itô and Stratonovich problems with any noise; an analytic ∂b/∂x for scalar and diagonal noise only.
  template <class P, class X>
  static constexpr Support supports() {
    if constexpr (noise_kind_v<P, X> == NoiseKind::general && P::has_diffusion_derivative)
      return Support::derivative_needs_scalar_or_diagonal_noise;
    else return Support::yes;
  }
  /// ΔW, and the Lévy areas for general noise whose columns are not declared commuting (or additive).
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    if constexpr (noncommutative_noise<P, X>()) return NoiseInformation::levy_area;
    else return NoiseInformation::wiener;
  }

  /// Takes in-place functors a(x, t, out), b(x, t, out) (core/problem.hpp); with them, dynamic-size states with
  /// diagonal noise step without allocating.
  static constexpr bool takes_in_place_functors = true;

  /// Advances x from t to t + dt given the increment over that step: ΔW, or ΔW with the Lévy areas.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& inc) const {
    // √dt only where a difference quotient uses it: the derivative-given and Stratonovich forms take none.
    do_step(problem, x, t, dt, inc, SqrtStep{uses_root<P, X>() ? std::sqrt(dt) : 0.0});
  }

  /// The same step with √dt given (computed once per step by the ensemble engine, not once per particle).
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& inc, SqrtStep root) const {
    static_assert(check_stepper<Milstein, P, X>());
    const auto& dW = wiener_part(inc);
    constexpr NoiseKind kind = noise_kind_v<P, X>;
    using B = diffusion_value_t<P, X>;
    if constexpr (detail::uses_step_buffers_v<P, X> && kind != NoiseKind::general && !P::has_diffusion_derivative) {
      step_in_buffers(problem, x, t, dt, dW, root.value);
      return;
    }
    const X a = detail::drift_at(problem, x, t);
    const B b = detail::diffusion_at(problem, x, t, dW);
    X next = x + a * dt + detail::noise_term<X>(b, dW);
    if constexpr (!P::is_additive) {
      if constexpr (kind == NoiseKind::general) {
        next += general_correction(problem, x, t, root.value, inc, b);
      } else if constexpr (P::has_diffusion_derivative) {
        const double ito_shift = P::is_stratonovich ? 0.0 : dt;
        const B db = problem.diffusion_derivative(x, t);
        detail::check_diffusion_shape<P>(db, x, dW, t, "the diffusion derivative");
        if constexpr (kind == NoiseKind::scalar) next += 0.5 * b * db * (dW * dW - ito_shift);
        else next += (0.5 * b.array() * db.array() * (dW.array().square() - ito_shift)).matrix();
      } else if constexpr (P::is_stratonovich) {
        const X shifted = x + detail::noise_term<X>(b, dW);
        const B b_shifted = detail::diffusion_at(problem, shifted, t, dW);
        if constexpr (kind == NoiseKind::scalar) next += 0.5 * (b_shifted - b) * dW;
        else next += (0.5 * (b_shifted - b).array() * dW.array()).matrix();
      } else {
        const double sqrt_dt = root.value;
        const X support = x + a * dt + b * sqrt_dt;
        const B b_support = detail::diffusion_at(problem, support, t, dW);
        if constexpr (kind == NoiseKind::scalar) next += (b_support - b) * (dW * dW - dt) / (2.0 * sqrt_dt);
        else next += ((b_support - b).array() * (dW.array().square() - dt) / (2.0 * sqrt_dt)).matrix();
      }
    }
    x = next;
  }

  /// The batched form (core/block_step.hpp) for diagonal noise, derivative-free or with a batched ∂b/∂x given as
  /// db(X, t, out): advances every column of the block x with the arithmetic of do_step per element.
  template <class P, class X>
    requires batched_problem_v<P, X> && (noise_kind_v<P, X> == NoiseKind::diagonal) &&
             (!P::has_diffusion_derivative || detail::has_block_derivative_v<P, X>)
  void do_step_block(const P& problem, StateBlock& x, double t, double dt, const StateBlock& dW, SqrtStep root,
                     BlockBuffers& w) const {
    const Eigen::Index n = x.rows(), count = x.cols();
    detail::block_drift(problem, x, t, w.a);
    detail::block_diffusion(problem, x, t, w.b);
    auto next = detail::fit(w.next, n, count).array();
    next = x.array() + w.a.array() * dt + w.b.array() * dW.array();
    if constexpr (!P::is_additive) {
      if constexpr (P::has_diffusion_derivative) {
        const double ito_shift = P::is_stratonovich ? 0.0 : dt;
        detail::block_diffusion_derivative(problem, x, t, w.b_shifted);
        next += 0.5 * w.b.array() * w.b_shifted.array() * (dW.array().square() - ito_shift);
      } else if constexpr (P::is_stratonovich) {
        detail::fit(w.shifted, n, count).array() = x.array() + w.b.array() * dW.array();
        detail::block_diffusion(problem, w.shifted, t, w.b_shifted);
        next += 0.5 * (w.b_shifted - w.b).array() * dW.array();
      } else {
        const double sqrt_dt = root.value;
        detail::fit(w.shifted, n, count).array() = x.array() + w.a.array() * dt + w.b.array() * sqrt_dt;
        detail::block_diffusion(problem, w.shifted, t, w.b_shifted);
        next += (w.b_shifted - w.b).array() * (dW.array().square() - dt) / (2.0 * sqrt_dt);
      }
    }
    x.swap(w.next);  // same shapes: swaps the buffers, no copy
  }

 private:
  // The diagonal-noise step for dynamic sizes with every temporary in this thread's buffers (no allocation per step
  // with in-place functors): the same arithmetic as do_step's, so the same bits.
  template <class P, class X, class W>
  static void step_in_buffers(const P& problem, X& x, double t, double dt, const W& dW, double sqrt_dt) {
    using B = diffusion_value_t<P, X>;
    struct Buffers {
      X a, next, shifted;
      B b, b_shifted;
    };
    Buffers& w = detail::step_buffers<Milstein, P, X, Buffers>();
    detail::drift_into(problem, x, t, w.a);
    detail::diffusion_into(problem, x, t, dW, w.b);
    w.next = x + w.a * dt + w.b.cwiseProduct(dW);
    if constexpr (!P::is_additive) {
      if constexpr (P::is_stratonovich) {
        w.shifted = x + w.b.cwiseProduct(dW);
        detail::diffusion_into(problem, w.shifted, t, dW, w.b_shifted);
        w.next += (0.5 * (w.b_shifted - w.b).array() * dW.array()).matrix();
      } else {
        w.shifted = x + w.a * dt + w.b * sqrt_dt;
        detail::diffusion_into(problem, w.shifted, t, dW, w.b_shifted);
        w.next += ((w.b_shifted - w.b).array() * (dW.array().square() - dt) / (2.0 * sqrt_dt)).matrix();
      }
    }
    x = w.next;
  }

  // Whether the step's arithmetic reads √dt: the derivative-free Itô forms and the general-noise corrections.
  template <class P, class X>
  static constexpr bool uses_root() {
    if constexpr (P::is_additive) return false;
    else if constexpr (noise_kind_v<P, X> == NoiseKind::general) return true;
    else return !P::has_diffusion_derivative && !P::is_stratonovich;
  }

  template <class P, class X, class Inc, class B>
  static X general_correction(const P& problem, const X& x, double t, double sqrt_dt, const Inc& inc, const B& b) {
    const auto& dW = wiener_part(inc);
    constexpr bool with_areas = information_of_v<Inc> == NoiseInformation::levy_area;
    const X shifted = x + b * dW;
    const B b_shifted = detail::diffusion_at(problem, shifted, t, dW);
    X correction = 0.5 * ((b_shifted - b) * dW);
    if constexpr (!P::is_stratonovich || with_areas) {
      for (Eigen::Index j = 0; j < b.cols(); ++j) {
        const X up = x + b.col(j) * sqrt_dt;
        const X down = x - b.col(j) * sqrt_dt;
        const B b_up = detail::diffusion_at(problem, up, t, dW);
        const B b_down = detail::diffusion_at(problem, down, t, dW);
        if constexpr (!P::is_stratonovich) correction -= 0.25 * sqrt_dt * (b_up.col(j) - b_down.col(j));
        if constexpr (with_areas) {
          // Column k of (b_up − b_down)/(2√h) is L^j b^k; A_jk = −A_kj gives Σ_{j≠k} L^j b^k A_jk.
          const double inv = 0.5 / sqrt_dt;
          for (Eigen::Index k = 0; k < b.cols(); ++k)
            if (k != j) correction += (inv * inc.A(j, k)) * (b_up.col(k) - b_down.col(k));
        }
      }
    }
    return correction;
  }
};

}  // namespace sdekit
