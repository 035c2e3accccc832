#pragma once
// SRIW1: Rößler's four-stage stochastic Runge–Kutta scheme of strong order 1.5 and weak order 2 for Itô SDEs with
// scalar or diagonal noise (Rößler 2010, SIAM J. Numer. Anal. 48(3), section 5; the table is StochasticDiffEq.jl's
// constructSRIW1, and the update below is its specialised SRIW1 step). With χ₁ = I_(1,1)/√h = (ΔW² − h)/(2√h),
// χ₂ = I_(1,0)/h and χ₃ = I_(1,1,1)/h = (ΔW³ − 3hΔW)/(6h), a₁ = a(X, t), b₁ = b(X, t):
//   H0₂ = X + ¾ h a₁ + (3/2) b₁ χ₂                     a₂ = a(H0₂, t + ¾ h)
//   H1₂ = X + ¼ h a₁ + ½ b₁ √h                         b₂ = b(H1₂, t + ¼ h)
//   H1₃ = X + h a₁ − b₁ √h                             b₃ = b(H1₃, t + h)
//   H1₄ = X + ¼ h a₁ + (−5b₁ + 3b₂ + ½ b₃) √h           b₄ = b(H1₄, t + ¼ h)
//   E₂ = χ₂ (2b₁ − (4/3) b₂ − (2/3) b₃) + χ₃ (−2b₁ + (5/3) b₂ − (2/3) b₃ + b₄)
//   X_{n+1} = X + h (a₁ + 2a₂)/3 + ΔW (−b₁ + (4/3) b₂ + (2/3) b₃) + χ₁ (−b₁ + (4/3) b₂ − (1/3) b₃) + E₂
// and E₁ = h (a₁ + a₂). Diagonal noise applies this componentwise, so b_i may depend on x_i only (as for Milstein).
// Two drift and four diffusion evaluations per step. The coefficients are read from sriw1_tableau; the static_asserts
// pin the zeros this form relies on (stage 3's drift stage is X itself, so its drift is a₁).
#include <sdekit/solvers/stochastic_runge_kutta.hpp>

namespace sdekit {

/// Rößler's SRIW1 coefficients (2010, section 5; StochasticDiffEq.jl's constructSRIW1).
inline constexpr SriTableau<4> sriw1_tableau{
    .c0 = {0.0, 0.75, 0.0, 0.0},
    .c1 = {0.0, 0.25, 1.0, 0.25},
    .A0 = {{{0, 0, 0, 0}, {0.75, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
    .A1 = {{{0, 0, 0, 0}, {0.25, 0, 0, 0}, {1.0, 0, 0, 0}, {0, 0, 0.25, 0}}},
    .B0 = {{{0, 0, 0, 0}, {1.5, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}},
    .B1 = {{{0, 0, 0, 0}, {0.5, 0, 0, 0}, {-1.0, 0, 0, 0}, {-5.0, 3.0, 0.5, 0}}},
    .alpha = {1.0 / 3.0, 2.0 / 3.0, 0.0, 0.0},
    .beta1 = {-1.0, 4.0 / 3.0, 2.0 / 3.0, 0.0},
    .beta2 = {-1.0, 4.0 / 3.0, -1.0 / 3.0, 0.0},
    .beta3 = {2.0, -4.0 / 3.0, -2.0 / 3.0, 0.0},
    .beta4 = {-2.0, 5.0 / 3.0, -2.0 / 3.0, 1.0},
};

/// Rößler's SRIW1: strong order 1.5, weak order 2 for Itô SDEs with scalar or diagonal noise, with an embedded
/// error estimate (do_step's ErrorEstimate overload).
class Sriw1 {
 public:
  /// The coefficient table the scheme runs.
  static constexpr const SriTableau<4>& tableau = sriw1_tableau;

  /// Strong order (Rößler 2010).
  template <class P, class X>
  static constexpr double strong_order() {
    return 1.5;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return 2.0;
  }
  /// Itô problems (Stratonovich ones with additive noise, where the two agree) with scalar or diagonal noise.
  template <class P, class X>
  static constexpr Support supports() {
    if constexpr (P::is_stratonovich && !P::is_additive) return Support::ito_only;
    else if constexpr (noise_kind_v<P, X> == NoiseKind::general) return Support::scalar_or_diagonal_noise_only;
    else return Support::yes;
  }
  /// ΔW and I_(1,0) per Wiener process.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return NoiseInformation::time_integral;
  }

  /// Advances x from t to t + h given the step's TimeIntegralIncrement {ΔW, I_(1,0)}.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double h, const Inc& inc) const {
    static_assert(check_stepper<Sriw1, P, X>());
    x = step(problem, x, t, h, inc, static_cast<ErrorEstimate<X>*>(nullptr));
  }
  /// The same step, also filling the embedded error estimate of the step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double h, const Inc& inc, ErrorEstimate<X>& error) const {
    static_assert(check_stepper<Sriw1, P, X>());
    x = step(problem, x, t, h, inc, &error);
  }

 private:
  static constexpr const SriTableau<4>& T = sriw1_tableau;
  // The zeros the step below relies on: one noise-carrying drift stage (2), and drift stage 3 is X at time t.
  static_assert(T.A0[2] == std::array<double, 4>{} && T.B0[2] == std::array<double, 4>{} && T.c0[2] == 0.0);
  static_assert(T.A0[3] == std::array<double, 4>{} && T.B0[3] == std::array<double, 4>{});
  static_assert(T.alpha[2] == 0.0 && T.alpha[3] == 0.0 && T.A1[1][0] != 0.0 && T.A1[3][0] == 0.0 && T.A1[3][1] == 0.0);

  template <class P, class X, class Inc>
  static X step(const P& problem, const X& x, double t, double h, const Inc& inc, ErrorEstimate<X>* error) {
    using B = diffusion_value_t<P, X>;
    using W = std::remove_cvref_t<decltype(inc.dW)>;
    const double sqrt_h = std::sqrt(h);
    const W& dW = inc.dW;
    const W chi1 = detail::map_components(dW, [=](double w) { return (w * w - h) / (2.0 * sqrt_h); });
    const W chi2 = inc.I10 / h;
    const W chi3 = detail::map_components(dW, [=](double w) { return (w * w * w - 3.0 * h * w) / (6.0 * h); });
    auto times = [](const B& b, const W& w) -> X { return detail::noise_term<X>(b, w); };

    const X a1 = problem.drift(x, t);
    const B b1 = problem.diffusion(x, t);
    const X a2 = problem.drift(x + (T.A0[1][0] * h) * a1 + times(T.B0[1][0] * b1, chi2), t + T.c0[1] * h);
    const X h12 = x + (T.A1[1][0] * h) * a1 + (T.B1[1][0] * sqrt_h) * b1;
    const B b2 = problem.diffusion(h12, t + T.c1[1] * h);
    const X h13 = x + (T.A1[2][0] * h) * a1 + (T.B1[2][0] * sqrt_h) * b1;
    const B b3 = problem.diffusion(h13, t + T.c1[2] * h);
    const X h14 = x + (T.A1[3][2] * h) * a1 + sqrt_h * (T.B1[3][0] * b1 + T.B1[3][1] * b2 + T.B1[3][2] * b3);
    const B b4 = problem.diffusion(h14, t + T.c1[3] * h);

    // Σ_i w_i b_i for the weights of one Brownian term.
    auto combine = [&](const std::array<double, 4>& w) -> B { return w[0] * b1 + w[1] * b2 + w[2] * b3 + w[3] * b4; };
    const X e2 = times(combine(T.beta3), chi2) + times(combine(T.beta4), chi3);
    if (error != nullptr) {
      error->drift = h * (a1 + a2);
      error->diffusion = e2;
      error->drift_difference = h * ((T.alpha[0] - 1.0) * a1 + T.alpha[1] * a2);
    }
    return x + h * (T.alpha[0] * a1 + T.alpha[1] * a2) + times(combine(T.beta1), dW) + times(combine(T.beta2), chi1) +
           e2;
  }
};

}  // namespace sdekit
