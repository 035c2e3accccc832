#pragma once
// What a state is: a double, a fixed-size Eigen column vector or an Eigen::VectorXd — and the few
// operations the library needs on all three.
#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <type_traits>

namespace sdekit {

/// True for Eigen dense objects (matrices, vectors, and expressions of them).
template <class T>
inline constexpr bool is_eigen_v = std::is_base_of_v<Eigen::EigenBase<std::decay_t<T>>, std::decay_t<T>>;

namespace detail {
template <class T, bool = is_eigen_v<T>>
struct plain_of {
  using type = std::decay_t<T>;
};
template <class T>
struct plain_of<T, true> {
  using type = typename std::decay_t<T>::PlainObject;
};
}  // namespace detail

/// The concrete type a functor result is stored in: Eigen expressions become their plain matrix type.
template <class T>
using plain_t = typename detail::plain_of<T>::type;

/// A state the library integrates: double, or an Eigen column vector of doubles (fixed or dynamic size).
template <class T>
concept StateType = std::is_same_v<T, double> ||
    (is_eigen_v<T>&& std::is_same_v<T, plain_t<T>>&& T::ColsAtCompileTime == 1 &&
     std::is_same_v<typename T::Scalar, double>);

/// Number of components of a state.
template <StateType X>
std::size_t state_size(const X& x) {
  if constexpr (std::is_same_v<X, double>) return 1;
  else return static_cast<std::size_t>(x.size());
}

/// True when every component is finite.
template <class X>
bool all_finite(const X& x) {
  if constexpr (std::is_arithmetic_v<X>) return std::isfinite(x);
  else return x.allFinite();
}

/// Component i of a state (i = 0 for a double).
template <StateType X>
double component(const X& x, std::size_t i) {
  if constexpr (std::is_same_v<X, double>) {
    (void)i;
    return x;
  } else return x[static_cast<Eigen::Index>(i)];
}

/// Sets component i of a state.
template <StateType X>
void set_component(X& x, std::size_t i, double value) {
  if constexpr (std::is_same_v<X, double>) {
    (void)i;
    x = value;
  } else x[static_cast<Eigen::Index>(i)] = value;
}

/// A state of `n` components filled with `value` (n must be 1 for double, the fixed size for fixed vectors).
template <StateType X>
X make_state(std::size_t n, double value = 0.0) {
  if constexpr (std::is_same_v<X, double>) {
    (void)n;
    return value;
  } else if constexpr (X::RowsAtCompileTime == Eigen::Dynamic) return X::Constant(static_cast<Eigen::Index>(n), value);
  else {
    (void)n;
    return X::Constant(value);
  }
}

}  // namespace sdekit
