#pragma once
// The Jacobian ∂a/∂x of a problem's drift, for the Newton solves of drift-implicit schemes: the user's when the
// problem carries one (with_drift_jacobian, with_linear_drift), otherwise central differences of a. The Jacobian
// travels with the drift functor, so a problem that carries one is still an ordinary Sde and runs through every
// explicit scheme unchanged.
#include <sdekit/core/problem.hpp>

#include <Eigen/SparseCore>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

namespace sdekit {

/// A drift a(x, t) that carries its Jacobian J(x, t) = ∂a/∂x, and whether a is declared affine in x (then J does not
/// depend on x and an implicit stage equation is solved by one linear solve). Made by with_drift_jacobian and
/// with_linear_drift.
template <class Drift, class Jacobian, bool Linear>
struct DriftWithJacobian {
  Drift drift;        ///< a(x, t)
  Jacobian jacobian;  ///< J(x, t): a double for scalar states, an n×n dense matrix or an Eigen::SparseMatrix<double>
  static constexpr bool is_linear = Linear;  ///< a(x, t) = J(t) x + c(t), declared by the user

  /// a(x, t).
  template <class X>
  auto operator()(const X& x, double t) const -> decltype(std::declval<const Drift&>()(x, t)) {
    return drift(x, t);
  }
};

namespace detail {
template <class T>
inline constexpr bool is_drift_with_jacobian_v = false;
template <class D, class J, bool L>
inline constexpr bool is_drift_with_jacobian_v<DriftWithJacobian<D, J, L>> = true;

template <class D, class B, bool S, bool A, bool C, class DB, class NewDrift>
auto replace_drift(const Sde<D, B, S, A, C, DB>& problem, NewDrift drift) {
  return Sde<NewDrift, B, S, A, C, DB>{std::move(drift), problem.diffusion, problem.diffusion_derivative};
}
}  // namespace detail

/// The same problem with the drift's Jacobian J(x, t) = ∂a/∂x given: a double for scalar states, an n×n Eigen
/// matrix for vector states, or an Eigen::SparseMatrix<double> whose pattern is the sparsity of ∂a/∂x (implicit
/// schemes then factorise with Eigen::SparseLU). Without it, implicit schemes use central differences of a.
template <class P, class Jacobian>
auto with_drift_jacobian(const P& problem, Jacobian jacobian) {
  static_assert(is_sde_v<P>, "sdekit::with_drift_jacobian: the problem must come from sdekit::make_sde");
  return detail::replace_drift(problem,
                               DriftWithJacobian<decltype(problem.drift), Jacobian, false>{problem.drift, jacobian});
}

/// The same problem with its drift declared affine in x, a(x, t) = J(t) x + c(t), with J given by jacobian(x, t)
/// (x is ignored but passed, so one functor serves both declarations). An implicit stage equation is then linear
/// and solved by one factorisation and one solve, with no Newton iteration. Declaring a nonlinear drift linear gives
/// the implicit scheme for its linearisation at the start of each step, not an error.
template <class P, class Jacobian>
auto with_linear_drift(const P& problem, Jacobian jacobian) {
  static_assert(is_sde_v<P>, "sdekit::with_linear_drift: the problem must come from sdekit::make_sde");
  return detail::replace_drift(problem,
                               DriftWithJacobian<decltype(problem.drift), Jacobian, true>{problem.drift, jacobian});
}

/// True when drift functor D carries a user Jacobian (DriftWithJacobian).
template <class D>
inline constexpr bool drift_has_jacobian_v = detail::is_drift_with_jacobian_v<std::decay_t<D>>;

/// True when problem P's drift carries a user Jacobian.
template <class P>
inline constexpr bool has_drift_jacobian_v = drift_has_jacobian_v<decltype(P::drift)>;

/// True when drift functor D is declared affine in x (with_linear_drift).
template <class D>
constexpr bool drift_declared_linear() {
  if constexpr (drift_has_jacobian_v<D>) return std::decay_t<D>::is_linear;
  else return false;
}

/// True when problem P's drift is declared affine in x (with_linear_drift).
template <class P>
constexpr bool drift_is_linear() {
  return drift_declared_linear<decltype(P::drift)>();
}

/// A drift split for IMEX schemes into a stiff part, treated implicitly, and a non-stiff part, treated explicitly:
/// a(x, t) = stiff(x, t) + nonstiff(x, t). Every other scheme sees the sum. Made by split_drift.
template <class Stiff, class NonStiff>
struct SplitDrift {
  Stiff stiff;        ///< the stiff part (possibly a DriftWithJacobian)
  NonStiff nonstiff;  ///< the non-stiff part

  /// a(x, t) = stiff(x, t) + nonstiff(x, t).
  template <class X>
  auto operator()(const X& x, double t) const -> plain_t<decltype(std::declval<const Stiff&>()(x, t))> {
    return stiff(x, t) + nonstiff(x, t);
  }
};

/// The drift stiff + nonstiff, split for sdekit::ImexEulerMaruyama; pass the result to make_sde as the drift.
template <class Stiff, class NonStiff>
SplitDrift<Stiff, NonStiff> split_drift(Stiff stiff, NonStiff nonstiff) {
  return {std::move(stiff), std::move(nonstiff)};
}

/// The same with the stiff part's Jacobian ∂stiff/∂x given (see with_drift_jacobian for its types).
template <class Stiff, class Jacobian, class NonStiff>
SplitDrift<DriftWithJacobian<Stiff, Jacobian, false>, NonStiff> split_drift(Stiff stiff, Jacobian stiff_jacobian,
                                                                            NonStiff nonstiff) {
  return {{std::move(stiff), std::move(stiff_jacobian)}, std::move(nonstiff)};
}

namespace detail {
template <class T>
inline constexpr bool is_split_drift_v = false;
template <class S, class N>
inline constexpr bool is_split_drift_v<SplitDrift<S, N>> = true;
}  // namespace detail

namespace detail {

/// The dense Jacobian type of a drift on states X: double, or the square matrix of X's size.
template <class X>
struct dense_jacobian {
  using type = Eigen::Matrix<double, X::RowsAtCompileTime, X::RowsAtCompileTime>;
};
template <>
struct dense_jacobian<double> {
  using type = double;
};

/// ∂a/∂x of `drift` at (x, t) by central differences, step cbrt(ε)·max(1, |x_j|): truncation and rounding errors
/// balance at about ε^{2/3} ≈ 4e-11 relative, far below any Newton tolerance worth asking for.
template <class Drift, class X>
typename dense_jacobian<X>::type difference_jacobian(const Drift& drift, const X& x, double t) {
  const double scale = std::cbrt(std::numeric_limits<double>::epsilon());
  if constexpr (std::is_same_v<X, double>) {
    const double d = scale * std::max(1.0, std::abs(x));
    return (drift(x + d, t) - drift(x - d, t)) / (2 * d);
  } else {
    const Eigen::Index n = x.size();
    typename dense_jacobian<X>::type J(n, n);
    X probe = x;
    for (Eigen::Index j = 0; j < n; ++j) {
      const double d = scale * std::max(1.0, std::abs(x[j]));
      probe[j] = x[j] + d;
      const X up = drift(probe, t);
      probe[j] = x[j] - d;
      const X down = drift(probe, t);
      probe[j] = x[j];
      J.col(j) = (up - down) / (2 * d);
    }
    return J;
  }
}

/// ∂a/∂x of drift functor `drift` at (x, t): the user's Jacobian (evaluated to a concrete matrix), or differences.
template <class D, class X>
auto jacobian_of(const D& drift, const X& x, double t) {
  if constexpr (drift_has_jacobian_v<D>) {
    using J = std::decay_t<decltype(drift.jacobian(x, t))>;
    if constexpr (std::is_arithmetic_v<J>) return double(drift.jacobian(x, t));
    else if constexpr (is_eigen_v<J>) return plain_t<J>(drift.jacobian(x, t));
    else return J(drift.jacobian(x, t));  // Eigen::SparseMatrix<double>
  } else {
    return difference_jacobian(drift, x, t);
  }
}

/// ∂a/∂x of problem P's drift at (x, t).
template <class P, class X>
auto drift_jacobian(const P& problem, const X& x, double t) {
  return jacobian_of(problem.drift, x, t);
}

}  // namespace detail
}  // namespace sdekit
