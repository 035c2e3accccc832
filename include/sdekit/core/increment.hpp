#pragma once
// What a stepper needs to know about the Brownian path over one step [t, t + h], and the increment types that carry
// exactly that, so a scheme pays only for what it uses:
//   wiener         ΔW                                         Euler–Maruyama, Milstein, Heun (a double or an m-vector)
//   time_integral  ΔW and I_(1,0) = ∫_t^{t+h} (W_s − W_t) ds   strong order 1.5 schemes (SRI, SRA)
//   levy_area      ΔW, I_(1,0) and the Lévy areas               Milstein for non-commutative noise
//                  A_jk = ½ ∫_t^{t+h} (W_j(s) − W_j(t)) dW_k − (W_k(s) − W_k(t)) dW_j
// I_(1,0) is Kloeden–Platen's double integral ∫∫ dW ds. In diffrax's terms I_(1,0) = h(ΔW/2 + H) with the space-time
// Lévy area H, and the other ordering is ∫_t^{t+h} (s − t) dW_s = h ΔW − I_(1,0).
#include <sdekit/core/noise_law.hpp>
#include <sdekit/core/problem.hpp>

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace sdekit {

/// The Brownian information a stepper needs per step; each level contains the one before it.
enum class NoiseInformation {
  wiener,         ///< ΔW only
  time_integral,  ///< ΔW and I_(1,0) per Wiener process
  levy_area,      ///< ΔW, I_(1,0) and the m×m Lévy areas A_jk
};

/// ΔW and I_(1,0) = ∫(W_s − W_t) ds over one step. W is the Wiener increment type (double or an m-vector).
template <class W>
struct TimeIntegralIncrement {
  W dW{};   ///< W(t + h) − W(t)
  W I10{};  ///< ∫_t^{t+h} (W_s − W_t) ds, per Wiener process
};

namespace detail {
template <class W>
constexpr int rows_of() {
  if constexpr (std::is_arithmetic_v<W>) return 1;
  else return W::RowsAtCompileTime;
}
}  // namespace detail

/// ΔW, I_(1,0) and the antisymmetric matrix of Lévy areas A_jk over one step.
template <class W>
struct LevyAreaIncrement {
  /// m×m, fixed-size when the number of Wiener processes is.
  using Area = Eigen::Matrix<double, detail::rows_of<W>(), detail::rows_of<W>()>;
  W dW{};   ///< W(t + h) − W(t)
  W I10{};  ///< ∫_t^{t+h} (W_s − W_t) ds, per Wiener process
  Area A;   ///< A_jk = ½ ∫ (W_j − W_j(t)) dW_k − (W_k − W_k(t)) dW_j; A_kj = −A_jk, A_jj = 0
};

namespace detail {
template <NoiseInformation I, class W>
struct increment_for {
  using type = W;
};
template <class W>
struct increment_for<NoiseInformation::time_integral, W> {
  using type = TimeIntegralIncrement<W>;
};
template <class W>
struct increment_for<NoiseInformation::levy_area, W> {
  using type = LevyAreaIncrement<W>;
};
}  // namespace detail

/// The increment type that carries information I for problem P on states X.
template <NoiseInformation I, class P, class X>
using increment_for_t = typename detail::increment_for<I, wiener_increment_t<P, X>>::type;

/// True for the plain Wiener increments (a double or an Eigen vector), false for the richer increment structs.
template <class Inc>
inline constexpr bool is_wiener_increment_v = std::is_arithmetic_v<Inc> || is_eigen_v<Inc>;

/// The Brownian information an increment type carries.
template <class Inc>
inline constexpr NoiseInformation information_of_v = NoiseInformation::wiener;
/// A TimeIntegralIncrement carries ΔW and I_(1,0).
template <class W>
inline constexpr NoiseInformation information_of_v<TimeIntegralIncrement<W>> = NoiseInformation::time_integral;
/// A LevyAreaIncrement carries ΔW and the Lévy areas.
template <class W>
inline constexpr NoiseInformation information_of_v<LevyAreaIncrement<W>> = NoiseInformation::levy_area;

/// ΔW inside any increment.
template <class Inc>
auto& wiener_part(Inc& inc) {
  if constexpr (is_wiener_increment_v<std::remove_const_t<Inc>>) return inc;
  else return inc.dW;
}

/// Number of Wiener processes a Wiener increment holds.
template <class W>
std::size_t wiener_dimension(const W& dW) {
  if constexpr (std::is_arithmetic_v<W>) {
    (void)dW;
    return 1;
  } else return static_cast<std::size_t>(dW.size());
}

/// A zero increment of type Inc for m Wiener processes (m matters only for dynamic sizes).
template <class Inc>
Inc make_zero_increment(std::size_t m) {
  if constexpr (std::is_arithmetic_v<Inc>) {
    (void)m;
    return 0.0;
  } else if constexpr (is_eigen_v<Inc>) {
    if constexpr (Inc::RowsAtCompileTime == Eigen::Dynamic) return Inc::Zero(static_cast<Eigen::Index>(m));
    else {
      (void)m;
      return Inc::Zero();
    }
  } else {
    using W = std::remove_cvref_t<decltype(std::declval<Inc&>().dW)>;
    Inc inc;
    inc.dW = make_zero_increment<W>(m);
    inc.I10 = inc.dW;
    if constexpr (information_of_v<Inc> == NoiseInformation::levy_area) {
      using Area = typename Inc::Area;
      const auto n = static_cast<Eigen::Index>(m);
      if constexpr (Area::RowsAtCompileTime == Eigen::Dynamic) inc.A = Area::Zero(n, n);
      else inc.A = Area::Zero();
    }
    return inc;
  }
}

namespace detail {

/// The number p of Fourier terms `algorithm` uses for a step of length h with m Wiener processes (0 for Davie's):
/// the smallest p whose bound on the L² error of each A_jk is at most h^{3/2} (the bounds of LevyArea.jl,
/// Kastner & Rößler 2022: h/(√2 π √p) for Fourier, √m h/(√12 π p) for Mrongowius–Rößler).
inline std::size_t levy_area_terms(LevyAreaAlgorithm algorithm, std::size_t m, double h) {
  constexpr double pi = 3.14159265358979323846;
  double terms = 0;
  if (algorithm == LevyAreaAlgorithm::fourier) terms = std::ceil(1.0 / (2.0 * pi * pi * h));
  else if (algorithm == LevyAreaAlgorithm::mrongowius_roessler)
    terms = std::ceil(std::sqrt(static_cast<double>(m)) / (std::sqrt(12.0) * pi * std::sqrt(h)));
  else return 0;
  return terms < 1 ? 1 : static_cast<std::size_t>(terms);
}

/// ψ'(x) = Σ_{r≥0} 1/(x+r)², the trigamma function for x ≥ 1: the recurrence up to x ≥ 10, then its asymptotic series
/// (error below 1e-16 there). Σ_{r>p} 1/r² = ψ'(p+1) is the variance the Fourier truncation leaves out.
inline double trigamma(double x) {
  double sum = 0;
  for (; x < 10; x += 1) sum += 1.0 / (x * x);
  const double y = 1.0 / (x * x);
  return sum + 1.0 / x + y / 2 + y / x * (1.0 / 6 - y * (1.0 / 30 - y * (1.0 / 42 - y / 30)));
}

/// How many standard normals beyond ΔW's an increment of type Inc with m Wiener processes needs for a step of length
/// h: none, m (the space-time areas), or m plus those of the Lévy-area algorithm (one per pair j < k for Davie's;
/// 2mp + m for Fourier; 2mp + m + m(m−1)/2 for Mrongowius–Rößler).
template <class Inc>
std::size_t extra_normal_count(std::size_t m, double h = 1.0, LevyAreaAlgorithm area = default_levy_area) {
  if constexpr (information_of_v<Inc> == NoiseInformation::wiener) {
    (void)m, (void)h, (void)area;
    return 0;
  } else if constexpr (information_of_v<Inc> == NoiseInformation::time_integral) return m;
  else {
    const std::size_t pairs = m * (m - 1) / 2;
    if (m < 2) return m;  // one process has no areas
    const std::size_t p = levy_area_terms(area, m, h);
    switch (area) {
      case LevyAreaAlgorithm::davie:
        return m + pairs;
      case LevyAreaAlgorithm::fourier:
        return m + 2 * m * p + m;
      case LevyAreaAlgorithm::mrongowius_roessler:
        return m + 2 * m * p + m + pairs;
    }
    return m + pairs;
  }
}

/// The Lévy areas of one step of length h from ΔW and the algorithm's normals z(c), c = first, first + 1, … (taken
/// in increasing order, each once, so a sequential stream may serve them). With ξ = ΔW/√h and, for r = 1 … p,
/// independent normals ζ_{·,r}, η_{·,r} (the Fourier coefficients of the Brownian bridge, Kloeden–Platen (5.8.10)):
///   A_jk = (h/2π) Σ_r (1/r) [ζ_{j,r}(η_{k,r} − √2 ξ_k) − ζ_{k,r}(η_{j,r} − √2 ξ_j)] + tail_jk,
/// tail_jk = (h a/2π)(ξ_j μ_k − ξ_k μ_j) for Fourier and (h a/2π)(ξ_j μ_k − ξ_k μ_j + ν_jk) for Mrongowius–Rößler,
/// a = √(2 ψ'(p+1)), with normals μ (one per process) and ν (one per pair).
/// This overload takes the number of terms p itself (tests couple a truncation with a much longer one this way: the
/// first 2mp normals are the same Fourier coefficients in both).
template <class Area, class W, class Extra>
void truncated_levy_area(Area& A, const W& dW, double h, std::size_t m, LevyAreaAlgorithm algorithm, std::size_t p,
                         std::size_t first, Extra&& z) {
  constexpr double pi = 3.14159265358979323846;
  const double inv_sqrt_h = 1.0 / std::sqrt(h);
  std::size_t c = first;
  // S_jk = Σ_r (1/r) ζ_{j,r} (η_{k,r} − √2 ξ_k); A is built from S − Sᵀ. ζ_{·,r} then η_{·,r} per term, in order.
  A.setZero();
  thread_local std::vector<double> zeta, eta;  // m values each, reused: no allocation per step after the first
  zeta.resize(m);
  eta.resize(m);
  for (std::size_t r = 1; r <= p; ++r) {
    for (std::size_t i = 0; i < m; ++i) zeta[i] = z(c++);
    for (std::size_t i = 0; i < m; ++i)
      eta[i] = z(c++) - std::sqrt(2.0) * dW[static_cast<Eigen::Index>(i)] * inv_sqrt_h;
    const double inv_r = 1.0 / static_cast<double>(r);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t k = 0; k < m; ++k)
        if (j != k) A(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(k)) += inv_r * zeta[j] * eta[k];
  }
  const double a = std::sqrt(2.0 * trigamma(static_cast<double>(p) + 1.0));
  for (std::size_t i = 0; i < m; ++i) zeta[i] = z(c++);  // μ
  const double scale = h / (2.0 * pi);
  for (std::size_t j = 0; j < m; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    A(jj, jj) = 0.0;
    for (std::size_t k = j + 1; k < m; ++k) {
      const auto kk = static_cast<Eigen::Index>(k);
      double tail = a * (dW[jj] * zeta[k] - dW[kk] * zeta[j]) * inv_sqrt_h;
      if (algorithm == LevyAreaAlgorithm::mrongowius_roessler) tail += a * z(c++);
      const double value = scale * (A(jj, kk) - A(kk, jj) + tail);
      A(jj, kk) = value;
      A(kk, jj) = -value;
    }
  }
}

/// truncated_levy_area with the number of terms `algorithm` chooses for h (levy_area_terms).
template <class Area, class W, class Extra>
void truncated_levy_area(Area& A, const W& dW, double h, std::size_t m, LevyAreaAlgorithm algorithm, std::size_t first,
                         Extra&& z) {
  truncated_levy_area(A, dW, h, m, algorithm, levy_area_terms(algorithm, m, h), first, z);
}

/// Completes an increment whose ΔW is set, for a step of length h, from its extra standard normals z(c),
/// c < extra_normal_count (taken in increasing order, each once). With the space-time Lévy area H_j = √(h/12) z(j),
/// which is independent of ΔW:
///   I_(1,0),j = h (ΔW_j / 2 + H_j)                                   (exact)
///   A_jk      by `area`: Davie's H_j ΔW_k − ΔW_j H_k + (h / √12) z(m + pair index), or a truncated Fourier series
///             (truncated_levy_area) from z(m), z(m + 1), …
/// The Lévy area given (ΔW, H) is not Gaussian; Davie's choice matches its conditional mean exactly and its
/// conditional variance h²/12, hence the unconditional variance h²/4 (Foster, Lyons & Oberhauser 2020). The Fourier
/// algorithms approximate the law of A given ΔW alone; their areas are independent of H (the joint law of I_(1,0)
/// and A is then not the Brownian one, which no scheme of this library relies on).
template <class Inc, class Extra>
void complete_increment(Inc& inc, double h, Extra&& z, LevyAreaAlgorithm area = default_levy_area) {
  if constexpr (information_of_v<Inc> != NoiseInformation::wiener) {
    const double h_scale = std::sqrt(h / 12.0);
    const std::size_t m = wiener_dimension(inc.dW);
    auto at = [](auto& w, std::size_t j) -> double& {
      if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(w)>>) {
        (void)j;
        return w;
      } else return w[static_cast<Eigen::Index>(j)];
    };
    for (std::size_t j = 0; j < m; ++j) at(inc.I10, j) = h * (0.5 * at(inc.dW, j) + h_scale * z(j));
    if constexpr (information_of_v<Inc> == NoiseInformation::levy_area) {
      if (m >= 2 && area != LevyAreaAlgorithm::davie) {
        if constexpr (!std::is_arithmetic_v<std::remove_cvref_t<decltype(inc.dW)>>)
          truncated_levy_area(inc.A, inc.dW, h, m, area, m, z);
        return;
      }
      const double area_scale = h / std::sqrt(12.0);
      std::size_t pair = m;
      for (std::size_t j = 0; j < m; ++j) {
        const auto jj = static_cast<Eigen::Index>(j);
        inc.A(jj, jj) = 0.0;
        for (std::size_t k = j + 1; k < m; ++k) {
          const auto kk = static_cast<Eigen::Index>(k);
          // H = I10/h − ΔW/2, recomputed from the stored values so that A is consistent with I10 bit for bit.
          const double Hj = at(inc.I10, j) / h - 0.5 * at(inc.dW, j);
          const double Hk = at(inc.I10, k) / h - 0.5 * at(inc.dW, k);
          const double a = Hj * at(inc.dW, k) - at(inc.dW, j) * Hk + area_scale * z(pair++);
          inc.A(jj, kk) = a;
          inc.A(kk, jj) = -a;
        }
      }
    }
  } else {
    (void)inc, (void)h, (void)z, (void)area;
  }
}

}  // namespace detail

}  // namespace sdekit
