#pragma once
// What Rößler's stochastic Runge–Kutta schemes (SRIW1, SRA1, SRA3) share: their coefficient tables, the embedded
// error estimate they expose, the Brownian quantities they combine, and the stage loop of the additive-noise
// family SRA. References:
//   A. Rößler, Runge–Kutta methods for the strong approximation of solutions of stochastic differential equations,
//   SIAM J. Numer. Anal. 48(3), 922–952 (2010) — the SRI and SRA families, their order conditions and tables;
//   C. Rackauckas, Q. Nie, Adaptive methods for stochastic differential equations via natural embeddings and
//   rejection sampling with memory, Discrete Contin. Dyn. Syst. B 22(7), 2731–2761 (2017) — the error estimate;
//   StochasticDiffEq.jl (src/tableaus.jl, src/perform_step/sri.jl and sra.jl) — the tables in machine form and
//   the same conventions: χ₂ = I_(1,0)/h with I_(1,0) = ∫(W_s − W_t) ds, as in sdekit's TimeIntegralIncrement.
#include <sdekit/core/stepper.hpp>
#include <sdekit/detail/noise_term.hpp>

#include <array>
#include <cmath>
#include <type_traits>

namespace sdekit {

// ErrorEstimate, the embedded error estimate these schemes fill, is part of the stepper vocabulary
// (core/stepper.hpp), so the adaptive integrator needs no solver header.

/// Coefficients of an s-stage SRA scheme for additive noise (Rößler 2010, section 6): stage i evaluates the drift
/// at t + c0[i] h and H_i = X + h Σ_j A0[i][j] a_j + Σ_j B0[i][j] b(t + c1[j] h) I_(1,0)/h, and the step is
///   X_{n+1} = X + h Σ α_i a_i + Σ β1_i b(t + c1_i h) ΔW + Σ β2_i b(t + c1_i h) I_(1,0)/h.
template <int S>
struct SraTableau {
  static constexpr int stages = S;          ///< number of stages
  std::array<double, S> c0;                 ///< drift and diffusion times
  std::array<double, S> c1;                 ///< drift and diffusion times
  std::array<std::array<double, S>, S> A0;  ///< strictly lower triangular
  std::array<std::array<double, S>, S> B0;  ///< strictly lower triangular
  std::array<double, S> alpha;              ///< weights of the drift, ΔW and I_(1,0)/h terms
  std::array<double, S> beta1;              ///< weights of the drift, ΔW and I_(1,0)/h terms
  std::array<double, S> beta2;              ///< weights of the drift, ΔW and I_(1,0)/h terms
};

/// Coefficients of an s-stage SRI scheme for scalar (or diagonal) Itô noise (Rößler 2010, section 5): drift stages
/// H0_i = X + h Σ A0[i][j] a(H0_j) + Σ B0[i][j] b(H1_j) I_(1,0)/h, diffusion stages H1_i = X + h Σ A1[i][j] a(H0_j)
/// + Σ B1[i][j] b(H1_j) √h, and the step
///   X_{n+1} = X + h Σ α_i a_i + Σ (β1_i ΔW + β2_i I_(1,1)/√h + β3_i I_(1,0)/h + β4_i I_(1,1,1)/h) b_i.
template <int S>
struct SriTableau {
  static constexpr int stages = S;          ///< number of stages
  std::array<double, S> c0;                 ///< drift and diffusion times
  std::array<double, S> c1;                 ///< drift and diffusion times
  std::array<std::array<double, S>, S> A0;  ///< strictly lower triangular
  std::array<std::array<double, S>, S> A1;  ///< strictly lower triangular
  std::array<std::array<double, S>, S> B0;  ///< strictly lower triangular
  std::array<std::array<double, S>, S> B1;  ///< strictly lower triangular
  std::array<double, S> alpha;              ///< weights of the step's terms
  std::array<double, S> beta1;              ///< weights of the step's terms
  std::array<double, S> beta2;              ///< weights of the step's terms
  std::array<double, S> beta3;              ///< weights of the step's terms
  std::array<double, S> beta4;              ///< weights of the step's terms
};

namespace detail {

/// f applied to each component of a Wiener increment (a double or an Eigen vector).
template <class W, class F>
W map_components(const W& w, F f) {
  if constexpr (std::is_arithmetic_v<W>) return f(w);
  else return w.unaryExpr(f);
}

/// The first stage j ≤ i whose diffusion time c1[j] equals c1[i]: with additive noise b depends on t only, so
/// stages at the same time share one evaluation.
template <int S>
constexpr int first_stage_at_same_time(const std::array<double, S>& c1, int i) {
  for (int j = 0; j < i; ++j)
    if (c1[j] == c1[i]) return j;
  return i;
}

/// One step of an SRA scheme with table T (any noise shape: scalar, diagonal or n×m, the diffusion taken at the
/// current state, since it does not depend on it). Returns the new state; fills `error` when it is not null.
template <const auto& T, class P, class X, class Inc>
X sra_step(const P& problem, const X& x, double t, double h, const Inc& inc, ErrorEstimate<X>* error) {
  constexpr int s = std::remove_cvref_t<decltype(T)>::stages;
  using B = diffusion_value_t<P, X>;
  using W = std::remove_cvref_t<decltype(inc.dW)>;
  const W chi2 = inc.I10 / h;  // I_(1,0)/h
  std::array<B, s> b;
  for (int i = 0; i < s; ++i) {
    const int same = first_stage_at_same_time<s>(T.c1, i);
    b[i] = same < i ? b[same] : B(problem.diffusion(x, t + T.c1[i] * h));
  }
  std::array<X, s> a;
  for (int i = 0; i < s; ++i) {
    X stage = x;
    bool noise_in_stage = false;
    B noise_weight = b[0] * 0.0;
    for (int j = 0; j < i; ++j) {
      if (T.A0[i][j] != 0.0) stage += (h * T.A0[i][j]) * a[j];
      if (T.B0[i][j] != 0.0) {
        noise_weight += T.B0[i][j] * b[j];
        noise_in_stage = true;
      }
    }
    if (noise_in_stage) stage += noise_term<X>(noise_weight, chi2);
    a[i] = problem.drift(stage, t + T.c0[i] * h);
  }
  X drift_sum = T.alpha[0] * a[0];
  B dW_weight = T.beta1[0] * b[0], chi2_weight = T.beta2[0] * b[0];
  for (int i = 1; i < s; ++i) {
    drift_sum += T.alpha[i] * a[i];
    dW_weight += T.beta1[i] * b[i];
    chi2_weight += T.beta2[i] * b[i];
  }
  const X e2 = noise_term<X>(chi2_weight, chi2);
  if (error != nullptr) {
    X e1 = a[0];
    for (int i = 1; i < s; ++i) e1 += a[i];
    error->drift = h * e1;
    error->diffusion = e2;
    error->drift_difference = h * (drift_sum - a[0]);
  }
  return x + h * drift_sum + noise_term<X>(dW_weight, inc.dW) + e2;
}

/// The traits and do_step of an SRA scheme with table T: strong order 1.5 on additive noise of any shape, Itô or
/// Stratonovich (the same there), weak order Weak.
template <class Derived, const auto& T, double Weak>
class SraScheme {
 public:
  /// Strong order (Rößler 2010).
  template <class P, class X>
  static constexpr double strong_order() {
    return 1.5;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return Weak;
  }
  /// Additive noise of any shape (scalar, diagonal, n×m), declared with sdekit::additive.
  template <class P, class X>
  static constexpr Support supports() {
    return P::is_additive ? Support::yes : Support::additive_noise_only;
  }
  /// ΔW and I_(1,0) per Wiener process.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return NoiseInformation::time_integral;
  }

  /// Advances x from t to t + h given the step's TimeIntegralIncrement {ΔW, I_(1,0)}.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double h, const Inc& inc) const {
    static_assert(check_stepper<Derived, P, X>());
    x = sra_step<T>(problem, x, t, h, inc, static_cast<ErrorEstimate<X>*>(nullptr));
  }
  /// The same step, also filling the embedded error estimate of the step.
  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double h, const Inc& inc, ErrorEstimate<X>& error) const {
    static_assert(check_stepper<Derived, P, X>());
    x = sra_step<T>(problem, x, t, h, inc, &error);
  }
};

}  // namespace detail

}  // namespace sdekit
