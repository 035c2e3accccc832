#pragma once
// DRI1: Debrabant & Rößler's stochastic Runge–Kutta scheme of weak order 2 for Itô SDEs with any noise
// (K. Debrabant, A. Rößler, "Families of efficient second order Runge–Kutta methods for the weak approximation of Itô
// stochastic differential equations", Appl. Numer. Math. 59 (2009) 582–594; the class of Rößler, SIAM J. Numer. Anal.
// 47 (2009) 1713–1738). It is chosen over Platen's explicit weak order 2.0 scheme and Rößler's RI1 because
//   - its cost grows linearly in the number m of Wiener processes (3 drift and 1 + 4m diffusion evaluations), where
//     Platen's scheme needs the m² mixed supporting values of KP (15.1.3);
//   - its coefficients minimise the leading error constants among the family (DRI1 is StochasticDiffEq.jl's default
//     weak order 2 scheme, whose tableau is used here);
//   - it needs only the discrete variables below, never derivatives of a or b.
// One step, with stages (c: time nodes; g^k the k-th column of b):
//   H0_1 = Y,  H0_2 = Y + a021 a(H0_1) h + b021 b(Y) Î,  H0_3 = Y + (a031 a(H0_1) + a032 a(H0_2)) h + b031 b(Y) Î
//   H^(k)_1 = Y,  H^(k)_{2,3} = Y + a121 a(Y) h ± |b121| g^k(Y) √h
//   Ĥ^(k)_1 = Y,  Ĥ^(k)_i = Y + (b2i1 g^k(Y) + b2i2 g^k(H^(k)_2) + b2i3 g^k(H^(k)_3)) √h
//   Y+ = Y + h Σ α_i a(H0_i) + Σ_k Σ_i g^k(H^(k)_i) (β1_i Î_k + β2_i Î_kk/√h)
//          + Σ_k Σ_{l≠k} Σ_i g^k(Ĥ^(l)_i) (β3_i Î_k + β4_i Î_kl/√h)
// with Î_k the increments (Gaussian ΔW, or three-point √(3h)·{−1,0,1}), Î_kk = (Î_k² − h)/2, and for k ≠ l
//   Î_kl = ½(Î_k Î_l − √h Ĩ_k) if k < l,  ½(Î_k Î_l + √h Ĩ_l) if k > l,
// Ĩ_k independent with mean 0 and variance h: two-point ±√h, or (Gaussian law) √12 times the space-time area
// H_k = I_(1,0),k/h − ΔW_k/2 ~ N(0, h/12), which is independent of ΔW. Only general non-commutative noise needs Ĩ; for
// scalar and diagonal noise the last line reduces to zero (b^k(Ĥ^(l)) = b^k(Y) there and Σ β3 = Σ β4 = 0), as it does
// for additive noise.
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/noise_term.hpp>

#include <cmath>

namespace sdekit {

/// The DRI1 coefficients (Debrabant & Rößler 2009, Table 1; the closed forms are checked in tests/solvers).
struct Dri1Tableau {
  static constexpr double a021 = 0.5;                    ///< A^(0): drift stages
  static constexpr double a031 = -1.0;                   ///< A^(0): drift stages
  static constexpr double a032 = 2.0;                    ///< A^(0): drift stages
  static constexpr double a121 = 342.0 / 491.0;          ///< A^(1) rows 2 and 3 (equal)
  static constexpr double b021 = 0.35505102572168223;    ///< B^(0): (6 − √6)/10
  static constexpr double b031 = 1.579795897113271;      ///< B^(0): (3 + 2√6)/5
  static constexpr double b121 = 0.8345883285834634;     ///< B^(1): 3√(38/491); row 3 is −b121
  static constexpr double b221 = -0.4404947330910052;    ///< B^(2) row 2: −214/513 √(1105/991)
  static constexpr double b222 = -0.2021335644370874;    ///< B^(2) row 2: −491/513 √(221/4955), also b223
  static constexpr double alpha1 = 1.0 / 6;              ///< drift weights
  static constexpr double alpha2 = 2.0 / 3;              ///< drift weights
  static constexpr double alpha3 = 1.0 / 6;              ///< drift weights
  static constexpr double c02 = 0.5;                     ///< drift stage times
  static constexpr double c03 = 1.0;                     ///< drift stage times
  static constexpr double c12 = 342.0 / 491.0;           ///< diffusion stage times
  static constexpr double beta11 = 193.0 / 684.0;        ///< β^(1) (β13 = β12)
  static constexpr double beta12 = 491.0 / 1368.0;       ///< β^(1) (β13 = β12)
  static constexpr double beta22 = 0.5990977621849132;   ///< β^(2): √(491/38)/6, β23 = −β22
  static constexpr double beta31 = -4955.0 / 7072.0;     ///< β^(3) (β33 = β32)
  static constexpr double beta32 = 4955.0 / 14144.0;     ///< β^(3) (β33 = β32)
  static constexpr double beta42 = -0.5918827808310898;  ///< β^(4): −√(4955/221)/8, β43 = −β42
  // Row 3 of B^(2) is minus row 2 and row 3 of B^(1) minus row 2: the stages come in ± pairs.
};

/// DRI1 (Debrabant–Rößler 2009): weak order 2 for Itô SDEs with scalar, diagonal, additive or general noise, from
/// Gaussian increments or, through DiscreteNoise / EnsembleOptions::increment_law, three-point ones.
class Dri1 {
 public:
  /// Strong order with Gaussian increments: 1.0 for scalar, diagonal, additive and commutative noise, where the
  /// Î_kk are the exact (ΔW² − h)/2 and the random parts of Î_kl + Î_lk cancel, so the scheme contains Milstein's;
  /// 0.5 for non-commutative noise, whose Î_kl are only weak stand-ins for the double integrals. (None with discrete
  /// increments.)
  template <class P, class X>
  static constexpr double strong_order() {
    return noncommutative_noise<P, X>() ? 0.5 : 1.0;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return 2.0;
  }
  /// Itô problems of any noise kind; Stratonovich ones only with additive noise, where the calculi agree.
  template <class P, class X>
  static constexpr Support supports() {
    return !P::is_stratonovich || P::is_additive ? Support::yes : Support::ito_only;
  }
  /// ΔW; and for general multiplicative noise with more than one column, the time integrals, whose space-time
  /// areas give the independent variables Ĩ of the mixed terms.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return needs_mixed_terms<P, X>() ? NoiseInformation::time_integral : NoiseInformation::wiener;
  }

  /// Advances x from t to t + h given the increment of the step (ΔW, or ΔW with I_(1,0)).
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double h, const Inc& inc) const {
    static_assert(check_stepper<Dri1, P, X>());
    using T = Dri1Tableau;
    using B = diffusion_value_t<P, X>;
    constexpr NoiseKind kind = noise_kind_v<P, X>;
    const auto& dW = wiener_part(inc);
    const double sqrt_h = std::sqrt(h);
    const X k1 = problem.drift(x, t);
    const B g1 = problem.diffusion(x, t);
    const X g1_dW = detail::noise_term<X>(g1, dW);
    const X k2 = problem.drift(X(x + (T::a021 * h) * k1 + T::b021 * g1_dW), t + T::c02 * h);
    const X k3 = problem.drift(X(x + (T::a031 * h) * k1 + (T::a032 * h) * k2 + T::b031 * g1_dW), t + T::c03 * h);
    X next = x + (T::alpha1 * h) * k1 + (T::alpha2 * h) * k2 + (T::alpha3 * h) * k3;
    const X base = x + (T::a121 * h) * k1;  // the drift part of H^(k)_2 and H^(k)_3
    const double t1 = t + T::c12 * h;
    if constexpr (kind == NoiseKind::scalar) {
      const B g2 = problem.diffusion(X(base + (T::b121 * sqrt_h) * g1), t1);
      const B g3 = problem.diffusion(X(base - (T::b121 * sqrt_h) * g1), t1);
      const double chi = 0.5 * (dW * dW - h) / sqrt_h;
      next += g1 * (T::beta11 * dW) + g2 * (T::beta12 * dW + T::beta22 * chi) + g3 * (T::beta12 * dW - T::beta22 * chi);
    } else if constexpr (kind == NoiseKind::diagonal) {
      // Component k of b depends on x_k alone, so one evaluation at Y + b121 √h b(Y) gives every g^k(H^(k)_2).
      const B g2 = problem.diffusion(X(base + (T::b121 * sqrt_h) * g1), t1);
      const B g3 = problem.diffusion(X(base - (T::b121 * sqrt_h) * g1), t1);
      const auto w = dW.array();
      const auto chi = (0.5 / sqrt_h) * (w.square() - h);
      next += (g1.array() * (T::beta11 * w) + g2.array() * (T::beta12 * w + T::beta22 * chi) +
               g3.array() * (T::beta12 * w - T::beta22 * chi))
                  .matrix();
    } else {
      const Eigen::Index m = g1.cols();
      for (Eigen::Index l = 0; l < m; ++l) {
        const B g2 = problem.diffusion(X(base + (T::b121 * sqrt_h) * g1.col(l)), t1);
        const B g3 = problem.diffusion(X(base - (T::b121 * sqrt_h) * g1.col(l)), t1);
        const double chi = 0.5 * (dW[l] * dW[l] - h) / sqrt_h;
        next += g1.col(l) * (T::beta11 * dW[l]) + g2.col(l) * (T::beta12 * dW[l] + T::beta22 * chi) +
                g3.col(l) * (T::beta12 * dW[l] - T::beta22 * chi);
        if constexpr (needs_mixed_terms<P, X>()) {
          // Ĥ^(l)_2 and Ĥ^(l)_3 = Y ± (b221 g^l(Y) + b222 (g^l(H^(l)_2) + g^l(H^(l)_3))) √h; their diffusion's
          // columns k ≠ l enter with Î_k and Î_kl.
          const X shift = (T::b221 * g1.col(l) + T::b222 * (g2.col(l) + g3.col(l))) * sqrt_h;
          const B g_plus = problem.diffusion(X(x + shift), t);
          const B g_minus = problem.diffusion(X(x - shift), t);
          for (Eigen::Index k = 0; k < m; ++k) {
            if (k == l) continue;
            const double mixed = mixed_integral(inc, k, l, h, sqrt_h) / sqrt_h;
            next += g_plus.col(k) * (T::beta32 * dW[k] + T::beta42 * mixed) +
                    g_minus.col(k) * (T::beta32 * dW[k] - T::beta42 * mixed);
          }
        }
      }
      if constexpr (needs_mixed_terms<P, X>())
        next += (static_cast<double>(m - 1) * T::beta31) * detail::noise_term<X>(g1, dW);  // the Ĥ^(l)_1 = Y terms
    }
    x = next;
  }

 private:
  // General multiplicative noise with (possibly) more than one column: the mixed terms do not vanish.
  template <class P, class X>
  static constexpr bool needs_mixed_terms() {
    if constexpr (noise_kind_v<P, X> != NoiseKind::general || P::is_additive) return false;
    else return diffusion_value_t<P, X>::ColsAtCompileTime != 1;
  }

  // Î_kl for k ≠ l, with Ĩ_j = √12 (I_(1,0),j / h − ΔW_j / 2) recovered from the increment's time integral.
  template <class Inc>
  static double mixed_integral(const Inc& inc, Eigen::Index k, Eigen::Index l, double h, double sqrt_h) {
    auto tilde = [&](Eigen::Index j) { return std::sqrt(12.0) * (inc.I10[j] / h - 0.5 * inc.dW[j]); };
    if (k < l) return 0.5 * (inc.dW[k] * inc.dW[l] - sqrt_h * tilde(k));
    return 0.5 * (inc.dW[k] * inc.dW[l] + sqrt_h * tilde(l));
  }
};

}  // namespace sdekit
