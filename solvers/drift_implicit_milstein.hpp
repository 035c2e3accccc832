#pragma once
// Drift-implicit Milstein (the θ-Milstein scheme; Kloeden & Platen 1992, section 12.2; Higham, SIAM J. Numer. Anal.
// 38 (2000)), for scalar and diagonal noise:
//   X_{n+1} = X_n + [(1 − θ) a(X_n, t_n) + θ a(X_{n+1}, t_{n+1})] h + b ΔW + ½ b b' (ΔW² − h)    (Itô)
//   X_{n+1} = X_n + [(1 − θ) a(X_n, t_n) + θ a(X_{n+1}, t_{n+1})] h + b ΔW + ½ b b' ΔW²          (Stratonovich)
// with b, b' = ∂b/∂x at (X_n, t_n), componentwise for diagonal noise. b' is the problem's when given
// (with_diffusion_derivative), else a central difference of b at X_n alone — not Milstein's derivative-free
// stage at X_n + a h, which a stiff drift would throw far from X_n. Strong order 1, weak order 1. The stage
// equation is solved by Newton's method (core/newton.hpp); a failed solve throws StepFailed, never leaves a NaN.
#include <sdekit/core/newton.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/noise_term.hpp>
#include <sdekit/detail/theta_stage.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace sdekit {

/// Drift-implicit Milstein (θ = 1 by default) for Itô and Stratonovich SDEs with scalar or diagonal noise.
class DriftImplicitMilstein {
 public:
  /// θ ∈ [0, 1] and the Newton policy; throws std::invalid_argument naming the argument otherwise.
  explicit DriftImplicitMilstein(double theta = 1.0, NewtonOptions newton = {})
      : stage_(theta, newton, "sdekit::DriftImplicitMilstein") {}
  /// θ.
  double theta() const { return stage_.theta(); }
  /// The Newton policy.
  const NewtonOptions& newton() const { return stage_.newton(); }

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
  /// Itô and Stratonovich problems with scalar or diagonal noise.
  template <class P, class X>
  static constexpr Support supports() {
    return noise_kind_v<P, X> == NoiseKind::general ? Support::scalar_or_diagonal_noise_only : Support::yes;
  }
  /// ΔW only.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return NoiseInformation::wiener;
  }

  /// Advances x from t to t + dt given the Wiener increment dW; throws StepFailed if the Newton solve fails.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double dt, const Inc& dW) const {
    static_assert(check_stepper<DriftImplicitMilstein, P, X>());
    using B = diffusion_value_t<P, X>;
    const B b = detail::diffusion_at(problem, x, t, dW);
    X explicit_part = x + detail::noise_term<X>(b, dW);
    stage_.add_explicit_drift(explicit_part, dt, [&] { return detail::drift_at(problem, x, t); });
    if constexpr (!P::is_additive) {
      const double ito_shift = P::is_stratonovich ? 0.0 : dt;
      const B db = derivative(problem, x, t, dW);
      if constexpr (std::is_arithmetic_v<X>) explicit_part += 0.5 * b * db * (dW * dW - ito_shift);
      else explicit_part += (0.5 * b.array() * db.array() * (dW.array().square() - ito_shift)).matrix();
    }
    stage_.solve(problem.drift, x, explicit_part, t, dt, "sdekit::DriftImplicitMilstein");
  }

 private:
  // ∂b/∂x at (x, t): the problem's, or a central difference (componentwise for diagonal noise, where b_i depends on
  // x_i alone), with error about ε^{2/3} relative.
  template <class P, class X, class Inc>
  static diffusion_value_t<P, X> derivative(const P& problem, const X& x, double t, const Inc& dW) {
    using B = diffusion_value_t<P, X>;
    if constexpr (P::has_diffusion_derivative) {
      const B db = problem.diffusion_derivative(x, t);
      detail::check_diffusion_shape<P>(db, x, dW, t, "the diffusion derivative");
      return db;
    } else {
      const double scale = std::cbrt(std::numeric_limits<double>::epsilon());
      if constexpr (std::is_arithmetic_v<X>) {
        const double d = scale * std::max(1.0, std::abs(x));
        return (problem.diffusion(x + d, t) - problem.diffusion(x - d, t)) / (2 * d);
      } else {
        const X d = (scale * x.array().abs().max(1.0)).matrix();
        const B up = detail::diffusion_at(problem, X(x + d), t, dW);
        const B down = detail::diffusion_at(problem, X(x - d), t, dW);
        return ((up - down).array() / (2 * d.array())).matrix();
      }
    }
  }

  detail::ThetaStage stage_;
};

}  // namespace sdekit
