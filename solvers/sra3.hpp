#pragma once
// SRA3: Rößler's three-stage stochastic Runge–Kutta scheme for additive noise (Rößler 2010, SIAM J. Numer. Anal.
// 48(3), section 6; the same table as StochasticDiffEq.jl's constructSRA3). With χ₂ = I_(1,0)/h,
//   a₁ = a(X, t),  a₂ = a(X + h a₁, t + h),  a₃ = a(X + ¼ h (a₁ + a₂) + [b(t + h) + ½ b(t)] χ₂, t + ½ h)
//   X_{n+1} = X + h (a₁ + a₂ + 4a₃)/6 + b(t + h) ΔW + [b(t) − b(t + h)] χ₂
// Strong order 1.5. Rößler and StochasticDiffEq.jl list SRA3 as weak order 3: its drift part is Kutta's
// third-order Runge–Kutta method. sdekit declares weak order 2, because one weak order 3 condition fails: for
// dX = a(X) dt + b dW the step's mean must match E ∫ a(X_s) ds up to O(h⁴); with a = εy⁴ at X = 0 that is ε b⁴ h³,
// while the step gives ε b⁴ h³ Σ_i α_i (B0 e)_i⁴ / 3 (E[χ₂⁴] = h²/3), so Σ_i α_i (B0 e)_i⁴ = 3 is needed. SRA3's
// table gives 27/8, as SRA1's does (checked in tests/solvers/test_stochastic_runge_kutta.cpp): the one-step mean
// keeps an error of ε b⁴ h³/8, so the global weak error is O(h²) for such drifts. Three drift and two diffusion
// evaluations per step. E₁ = h(a₁ + a₂ + a₃), E₂ = [b(t) − b(t + h)] χ₂.
#include <sdekit/solvers/stochastic_runge_kutta.hpp>

namespace sdekit {

/// Rößler's SRA3 coefficients (2010, section 6).
inline constexpr SraTableau<3> sra3_tableau{
    .c0 = {0.0, 1.0, 0.5},
    .c1 = {1.0, 0.0, 0.0},
    .A0 = {{{0.0, 0.0, 0.0}, {1.0, 0.0, 0.0}, {0.25, 0.25, 0.0}}},
    .B0 = {{{0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}, {1.0, 0.5, 0.0}}},
    .alpha = {1.0 / 6.0, 1.0 / 6.0, 2.0 / 3.0},
    .beta1 = {1.0, 0.0, 0.0},
    .beta2 = {-1.0, 1.0, 0.0},
};

/// Rößler's SRA3: strong order 1.5, weak order 2 (see above) for additive noise (scalar, diagonal or n×m), with an
/// embedded error estimate (do_step's ErrorEstimate overload).
class Sra3 : public detail::SraScheme<Sra3, sra3_tableau, 2.0> {
 public:
  /// The coefficient table the scheme runs.
  static constexpr const SraTableau<3>& tableau = sra3_tableau;
};

}  // namespace sdekit
