#pragma once
// SRA1: Rößler's two-stage stochastic Runge–Kutta scheme for additive noise (Rößler 2010, SIAM J. Numer. Anal.
// 48(3), section 6; the same table as StochasticDiffEq.jl's constructSRA1). With χ₂ = I_(1,0)/h,
//   a₁ = a(X, t),  a₂ = a(X + ¾ h a₁ + (3/2) b(t + h) χ₂, t + ¾ h)
//   X_{n+1} = X + h (a₁ + 2a₂)/3 + b(t + h) ΔW + [b(t) − b(t + h)] χ₂
// Strong order 1.5 and weak order 2 on additive noise of any shape (scalar, diagonal, n×m, b = b(t)); two drift
// and two diffusion evaluations per step. E₁ = h(a₁ + a₂), E₂ = [b(t) − b(t + h)] χ₂ (zero when b is constant).
#include <sdekit/solvers/stochastic_runge_kutta.hpp>

namespace sdekit {

/// Rößler's SRA1 coefficients (2010, section 6).
inline constexpr SraTableau<2> sra1_tableau{
    .c0 = {0.0, 0.75},
    .c1 = {1.0, 0.0},
    .A0 = {{{0.0, 0.0}, {0.75, 0.0}}},
    .B0 = {{{0.0, 0.0}, {1.5, 0.0}}},
    .alpha = {1.0 / 3.0, 2.0 / 3.0},
    .beta1 = {1.0, 0.0},
    .beta2 = {-1.0, 1.0},
};

/// Rößler's SRA1: strong order 1.5, weak order 2 for additive noise (scalar, diagonal or n×m), with an embedded
/// error estimate (do_step's ErrorEstimate overload).
class Sra1 : public detail::SraScheme<Sra1, sra1_tableau, 2.0> {
 public:
  /// The coefficient table the scheme runs.
  static constexpr const SraTableau<2>& tableau = sra1_tableau;
};

}  // namespace sdekit
