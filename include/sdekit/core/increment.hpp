#pragma once
// What a stepper needs to know about the Brownian path over one step [t, t + h], and the increment types that carry
// exactly that, so a scheme pays only for what it uses:
//   wiener         ΔW                                         Euler–Maruyama, Milstein, Heun (a double or an m-vector)
//   time_integral  ΔW and I_(1,0) = ∫_t^{t+h} (W_s − W_t) ds   strong order 1.5 schemes (SRI, SRA)
//   levy_area      ΔW, I_(1,0) and the Lévy areas               Milstein for non-commutative noise
//                  A_jk = ½ ∫_t^{t+h} (W_j(s) − W_j(t)) dW_k − (W_k(s) − W_k(t)) dW_j
// I_(1,0) is Kloeden–Platen's double integral ∫∫ dW ds. In diffrax's terms I_(1,0) = h(ΔW/2 + H) with the space-time
// Lévy area H, and the other ordering is ∫_t^{t+h} (s − t) dW_s = h ΔW − I_(1,0).
#include <sdekit/core/problem.hpp>

#include <cmath>
#include <cstddef>
#include <type_traits>

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

/// How many standard normals beyond ΔW's an increment of type Inc with m Wiener processes needs per step: none,
/// m (the space-time areas), or m + m(m−1)/2 (and one per pair j < k for the Lévy areas).
template <class Inc>
std::size_t extra_normal_count(std::size_t m) {
  if constexpr (information_of_v<Inc> == NoiseInformation::wiener) return 0 * m;
  else if constexpr (information_of_v<Inc> == NoiseInformation::time_integral) return m;
  else return m + m * (m - 1) / 2;
}

/// Completes an increment whose ΔW is set, for a step of length h, from its extra standard normals z(c),
/// c < extra_normal_count. With the space-time Lévy area H_j = √(h/12) z(j), which is independent of ΔW:
///   I_(1,0),j = h (ΔW_j / 2 + H_j)                                   (exact)
///   A_jk      = H_j ΔW_k − ΔW_j H_k + (h / √12) z(m + pair index)    (Davie's approximation)
/// The Lévy area given (ΔW, H) is not Gaussian; Davie's choice matches its conditional mean exactly and its
/// conditional variance h²/12, hence the unconditional variance h²/4 (Foster, Lyons & Oberhauser 2020).
template <class Inc, class Extra>
void complete_increment(Inc& inc, double h, Extra&& z) {
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
    (void)inc, (void)h, (void)z;
  }
}

}  // namespace detail

}  // namespace sdekit
