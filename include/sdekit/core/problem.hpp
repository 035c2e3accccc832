#pragma once
// An SDE problem dX = a(X,t) dt + b(X,t) dW: a drift functor, a diffusion functor, the calculus (Itô or
// Stratonovich), and what the diffusion is known to satisfy (additive, commutative). The noise kind
// follows from what b returns for a given state type; see noise_kind_v. Functors take one particle, a(x, t) or in
// place a(x, t, out), or a block of particles at once (batched: a(X, t, out) on a StateBlock, one column each).
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sdekit {

/// Tag: the diffusion term is an Itô integral (the default).
struct ito_t {
  explicit ito_t() = default;
};
/// Tag: the diffusion term is a Stratonovich integral.
struct stratonovich_t {
  explicit stratonovich_t() = default;
};
/// Tag: b does not depend on x (additive noise), so schemes may skip derivative terms.
struct additive_t {
  explicit additive_t() = default;
};
/// Tag: the columns of a general n×m diffusion commute (L^j b^k = L^k b^j), so Milstein needs no Lévy areas.
struct commutative_t {
  explicit commutative_t() = default;
};

inline constexpr ito_t ito{};                    ///< make_sde option: Itô calculus (the default)
inline constexpr stratonovich_t stratonovich{};  ///< make_sde option: Stratonovich calculus
inline constexpr additive_t additive{};          ///< make_sde option: b does not depend on x
inline constexpr commutative_t commutative{};    ///< make_sde option: the columns of a general b commute

/// How the Wiener processes enter: one (scalar), one per component (diagonal), or m of them through an n×m matrix.
enum class NoiseKind { scalar, diagonal, general };

/// Placeholder for "no analytic diffusion derivative given".
struct no_derivative {};

/// A block of B particles' states of dimension n, as batched functors see it: n×B, one column per particle, each row
/// (one component of every particle) contiguous, so that row-wise array expressions vectorise across particles.
using StateBlock = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A batched diffusion for general n×m noise, given by its noise term: term(X, t, dW, out) writes b(X_j, t)·dW_j
/// into column j of out (n×B) for the m×B Wiener increments dW. Build it with batched_noise_term.
template <class Term>
struct BatchedNoiseTerm {
  Term term;                         ///< term(X, t, dW, out)
  std::size_t wiener_processes = 1;  ///< m, the number of Wiener processes (rows of dW)
  /// Writes b(X_j, t)·dW_j into out.col(j) for every column j.
  void operator()(const StateBlock& x, double t, const StateBlock& dW, StateBlock& out) const { term(x, t, dW, out); }
};

/// Wraps term(X, t, dW, out) with its number of Wiener processes m as the diffusion of a batched problem with
/// general noise (make_sde(batched_drift, batched_noise_term(term, m))).
template <class Term>
BatchedNoiseTerm<Term> batched_noise_term(Term term, std::size_t wiener_processes) {
  static_assert(std::is_invocable_v<const Term&, const StateBlock&, double, const StateBlock&, StateBlock&>,
                "sdekit::batched_noise_term: the term must be callable as term(X, t, dW, out) with X, dW and out "
                "sdekit::StateBlock (X and out n×B, dW m×B)");
  return {std::move(term), wiener_processes};
}

/// An SDE dX = a(X,t) dt + b(X,t) dW. Build it with make_sde.
template <class Drift, class Diffusion, bool Stratonovich = false, bool Additive = false, bool Commutative = false,
          class DiffusionDerivative = no_derivative>
struct Sde {
  Drift drift;                               ///< a(x, t)
  Diffusion diffusion;                       ///< b(x, t)
  DiffusionDerivative diffusion_derivative;  ///< ∂b/∂x (scalar) or (∂b_i/∂x_i)_i (diagonal), if given

  static constexpr bool is_stratonovich = Stratonovich;  ///< Stratonovich rather than Itô
  static constexpr bool is_additive = Additive;          ///< b independent of x (declared)
  static constexpr bool is_commutative = Commutative;    ///< general noise declared commutative
  /// An analytic ∂b/∂x was given (with_diffusion_derivative).
  static constexpr bool has_diffusion_derivative = !std::is_same_v<DiffusionDerivative, no_derivative>;

  /// The same problem with an analytic ∂b/∂x(x, t), which Milstein then uses instead of a finite difference.
  template <class Derivative>
  auto with_diffusion_derivative(Derivative derivative) const {
    return Sde<Drift, Diffusion, Stratonovich, Additive, Commutative, Derivative>{drift, diffusion,
                                                                                  std::move(derivative)};
  }
};

namespace detail {
template <class... Options>
inline constexpr bool contains_v = false;
template <class T, class... Options>
inline constexpr bool contains_v<T, Options...> = (std::is_same_v<T, std::decay_t<Options>> || ...);

template <class Option>
inline constexpr bool is_sde_option_v = std::is_same_v<Option, ito_t> || std::is_same_v<Option, stratonovich_t> ||
                                        std::is_same_v<Option, additive_t> || std::is_same_v<Option, commutative_t>;
}  // namespace detail

/// Makes an SDE from a drift a(x,t) and a diffusion b(x,t); options: sdekit::ito (default),
/// sdekit::stratonovich, sdekit::additive, sdekit::commutative, in any order.
template <class Drift, class Diffusion, class... Options>
auto make_sde(Drift drift, Diffusion diffusion, Options...) {
  static_assert(
      (detail::is_sde_option_v<std::decay_t<Options>> && ...),
      "sdekit::make_sde: options are sdekit::ito, sdekit::stratonovich, sdekit::additive, sdekit::commutative");
  constexpr bool strat = detail::contains_v<stratonovich_t, Options...>;
  static_assert(!(strat && detail::contains_v<ito_t, Options...>),
                "sdekit::make_sde: choose one of sdekit::ito and sdekit::stratonovich");
  return Sde<Drift, Diffusion, strat, detail::contains_v<additive_t, Options...>,
             detail::contains_v<commutative_t, Options...>>{std::move(drift), std::move(diffusion), {}};
}

/// True for the types make_sde returns.
template <class T>
inline constexpr bool is_sde_v = false;
/// An Sde is one.
template <class D, class B, bool S, bool A, bool C, class DB>
inline constexpr bool is_sde_v<Sde<D, B, S, A, C, DB>> = true;

namespace detail {
/// F can be called as f(x, t) with a state x of type X and a time t (a functor that returns its value).
template <class F, class X>
concept value_callable = std::is_invocable_v<const F&, const X&, double>;
/// F can be called in place as f(x, t, out), writing into out of type Out (Eigen states only); the form for large
/// states, where returning a vector would allocate every call. Detected only where f(x, t) is not callable.
template <class F, class X, class Out>
concept in_place_callable =
    is_eigen_v<X> && !value_callable<F, X> && std::is_invocable_v<const F&, const X&, double, Out&>;

/// F is a batched functor f(X, t, out) on a block of particles (X and out sdekit::StateBlock, n×B) for vector states
/// X; detected only where neither per-particle form is callable, so existing functors keep their meaning.
template <class F, class X>
concept block_callable = is_eigen_v<X> && !value_callable<F, X> && !in_place_callable<F, X, X> &&
                         std::is_invocable_v<const F&, const StateBlock&, double, StateBlock&>;

template <class D>
inline constexpr bool is_batched_noise_term_v = false;
template <class T>
inline constexpr bool is_batched_noise_term_v<BatchedNoiseTerm<T>> = true;

/// D is a batched diffusion on vector states X: diagonal b(X, t, out), or a BatchedNoiseTerm (general noise).
template <class D, class X>
inline constexpr bool batched_diffusion_of_v = block_callable<D, X> || (is_eigen_v<X> && is_batched_noise_term_v<D>);

template <class D, class X>
constexpr auto diffusion_value_of() {
  if constexpr (value_callable<D, X>)
    return std::type_identity<plain_t<std::invoke_result_t<const D&, const X&, double>>>{};
  else if constexpr (in_place_callable<D, X, X>) return std::type_identity<X>{};  // in place: diagonal noise
  else if constexpr (block_callable<D, X>) return std::type_identity<X>{};      // batched: diagonal noise
  else if constexpr (is_eigen_v<X> && is_batched_noise_term_v<D>)               // batched noise term: n×m
    return std::type_identity<Eigen::Matrix<double, X::RowsAtCompileTime, Eigen::Dynamic>>{};
  else return std::type_identity<void>{};
}
}  // namespace detail

/// True when the drift of P on vector states X is batched, a(X, t, out) on a StateBlock of particles.
template <class P, class X>
inline constexpr bool batched_drift_v = detail::block_callable<decltype(P::drift), X>;
/// True when the diffusion of P on vector states X is batched: b(X, t, out) (diagonal noise) or a batched_noise_term.
template <class P, class X>
inline constexpr bool batched_diffusion_v = detail::batched_diffusion_of_v<decltype(P::diffusion), X>;
/// True when P is a batched problem on states X: both its drift and its diffusion take blocks of particles.
template <class P, class X>
inline constexpr bool batched_problem_v = batched_drift_v<P, X> && batched_diffusion_v<P, X>;

/// True when the drift of P on states X is written in place, a(x, t, out), rather than returning a(x, t).
template <class P, class X>
inline constexpr bool in_place_drift_v = detail::in_place_callable<decltype(P::drift), X, X>;
/// True when the diffusion of P on states X is written in place, b(x, t, out) with out of the state's shape
/// (diagonal noise), rather than returning b(x, t).
template <class P, class X>
inline constexpr bool in_place_diffusion_v = detail::in_place_callable<decltype(P::diffusion), X, X>;

/// What the diffusion of problem P returns for state X, as a concrete (plain) type: the state type itself for an
/// in-place diffusion b(x, t, out).
template <class P, class X>
using diffusion_value_t = typename decltype(detail::diffusion_value_of<decltype(P::diffusion), X>())::type;

namespace detail {
template <class B, class X>
constexpr NoiseKind noise_kind_of() {
  if constexpr (std::is_arithmetic_v<B>) return NoiseKind::scalar;
  else if constexpr (B::ColsAtCompileTime == 1 && !std::is_arithmetic_v<X>) return NoiseKind::diagonal;
  else return NoiseKind::general;
}
}  // namespace detail

/// The noise kind of problem P on states of type X, deduced from the type b(x,t) returns.
template <class P, class X>
inline constexpr NoiseKind noise_kind_v = detail::noise_kind_of<diffusion_value_t<P, X>, X>();

namespace detail {
template <class B>
struct increment_of_general {
  using type = Eigen::Matrix<double, B::ColsAtCompileTime, 1>;
};
template <class P, class X, NoiseKind K = noise_kind_v<P, X>>
struct increment_of {
  using type = double;
};
template <class P, class X>
struct increment_of<P, X, NoiseKind::diagonal> {
  using type = X;
};
template <class P, class X>
struct increment_of<P, X, NoiseKind::general> {
  using type = typename increment_of_general<diffusion_value_t<P, X>>::type;
};
}  // namespace detail

/// The type of the Wiener increment dW for problem P on states X: double, X itself (diagonal), or an m-vector.
template <class P, class X>
using wiener_increment_t = typename detail::increment_of<P, X>::type;

namespace detail {
/// What is wrong with problem P on states X, in the order check_problem reports it.
enum class ProblemDefect {
  none,
  not_sde,
  bad_state,
  drift_not_callable,
  drift_wrong_type,
  diffusion_not_callable,
  batched_mixed,
  scalar_state_needs_scalar_diffusion,
  vector_state_needs_vector_or_matrix,
  diffusion_rows
};

// An in-place drift writes a state; a returning one must return something convertible to one.
template <class D, class X>
constexpr bool drift_returns_state() {
  if constexpr (value_callable<D, X>)
    return std::is_convertible_v<plain_t<std::invoke_result_t<const D&, const X&, double>>, X>;
  else return true;
}

template <class P, class X>
constexpr ProblemDefect problem_defect() {
  if constexpr (!is_sde_v<P>) return ProblemDefect::not_sde;
  else if constexpr (!StateType<X>) return ProblemDefect::bad_state;
  else if constexpr (!value_callable<decltype(P::drift), X> && !in_place_callable<decltype(P::drift), X, X> &&
                     !block_callable<decltype(P::drift), X>)
    return ProblemDefect::drift_not_callable;
  else if constexpr (!drift_returns_state<decltype(P::drift), X>()) return ProblemDefect::drift_wrong_type;
  else if constexpr (!value_callable<decltype(P::diffusion), X> && !in_place_callable<decltype(P::diffusion), X, X> &&
                     !batched_diffusion_of_v<decltype(P::diffusion), X>)
    return ProblemDefect::diffusion_not_callable;
  else if constexpr (block_callable<decltype(P::drift), X> != batched_diffusion_of_v<decltype(P::diffusion), X>)
    return ProblemDefect::batched_mixed;
  else {
    using B = diffusion_value_t<P, X>;
    if constexpr (std::is_same_v<X, double>) {
      return std::is_arithmetic_v<B> ? ProblemDefect::none : ProblemDefect::scalar_state_needs_scalar_diffusion;
    } else if constexpr (std::is_arithmetic_v<B> || !is_eigen_v<B>) {
      return ProblemDefect::vector_state_needs_vector_or_matrix;
    } else {
      constexpr bool rows_ok = B::RowsAtCompileTime == Eigen::Dynamic || X::RowsAtCompileTime == Eigen::Dynamic ||
                               int(B::RowsAtCompileTime) == int(X::RowsAtCompileTime);
      return rows_ok ? ProblemDefect::none : ProblemDefect::diffusion_rows;
    }
  }
}
}  // namespace detail

/// P is a usable SDE problem for states of type X: made by make_sde, with a drift a(x, t) returning a state and a
/// diffusion b(x, t) of a shape that fits X. For requires clauses; check_problem says what is wrong.
template <class P, class X>
concept SdeProblem = detail::problem_defect<P, X>()
== detail::ProblemDefect::none;

/// Compile-time check that P is a usable SDE problem for states of type X: the static_assert front end of
/// SdeProblem. Each failure is one static_assert that says what is wrong.
template <class P, class X>
constexpr bool check_problem() {
  using enum detail::ProblemDefect;
  constexpr detail::ProblemDefect defect = detail::problem_defect<P, X>();
  static_assert(defect != not_sde, "sdekit: the problem must come from sdekit::make_sde(drift, diffusion)");
  static_assert(defect != bad_state,
                "sdekit: the state must be a double, a fixed-size Eigen::Matrix<double,N,1> or an Eigen::VectorXd");
  static_assert(defect != drift_not_callable,
                "sdekit: the drift must be callable as a(x, t) with x of the state type and t a double (or, for "
                "vector states, in place as a(x, t, out) with out a state)");
  static_assert(defect != drift_wrong_type,
                "sdekit: the drift a(x, t) must return a value of the state's type and shape");
  static_assert(defect != diffusion_not_callable,
                "sdekit: the diffusion must be callable as b(x, t) with x of the state type and t a double (or, for "
                "vector states, in place as b(x, t, out) with out a state: diagonal noise)");
  static_assert(defect != batched_mixed,
                "sdekit: a batched problem takes both functors on blocks of particles: a(X, t, out) and b(X, t, out) "
                "(or sdekit::batched_noise_term) with X and out sdekit::StateBlock; per-particle and batched functors "
                "do not mix");
  static_assert(defect != scalar_state_needs_scalar_diffusion,
                "sdekit: for a scalar state the diffusion b(x, t) must return a scalar");
  static_assert(defect != vector_state_needs_vector_or_matrix,
                "sdekit: for a vector state the diffusion b(x, t) must return a vector of the state's shape "
                "(diagonal noise) or an n×m matrix (general noise)");
  static_assert(defect != diffusion_rows,
                "sdekit: the diffusion b(x, t) must have as many rows as the state has components");
  return defect == none;
}

/// Runtime check of the sizes a(x, t) and b(x, t) return against the state, for dynamic sizes; returns the noise
/// dimension m (the number of Wiener processes). Throws std::invalid_argument naming `where`.
template <class P, class X>
std::size_t noise_dimension(const P& problem, const X& x, double t, std::string_view where) {
  static_assert(check_problem<P, X>());
  if constexpr (std::is_same_v<X, double>) {
    return 1;
  } else if constexpr (batched_problem_v<P, X>) {
    // A one-column block: the functors must leave out n×1 (it arrives sized so).
    const Eigen::Index n = x.size();
    const StateBlock column = x;
    StateBlock out = StateBlock::Zero(n, 1);
    problem.drift(column, t, out);
    detail::require(out.rows() == n && out.cols() == 1, where, "rows of a(X, t, out) for one particle", out.rows(),
                    "must stay the state size " + detail::to_text(n) + " (and one column)");
    std::size_t m = static_cast<std::size_t>(n);
    if constexpr (detail::is_batched_noise_term_v<decltype(P::diffusion)>) {
      m = problem.diffusion.wiener_processes;
      detail::require(m >= 1, where, "the number of Wiener processes of batched_noise_term", m, "must be at least 1");
      const StateBlock dW = StateBlock::Zero(static_cast<Eigen::Index>(m), 1);
      problem.diffusion(column, t, dW, out);
    } else {
      problem.diffusion(column, t, out);
    }
    detail::require(out.rows() == n && out.cols() == 1, where, "rows of the batched diffusion's out for one particle",
                    out.rows(), "must stay the state size " + detail::to_text(n) + " (and one column)");
    return m;
  } else {
    X a = x;
    if constexpr (in_place_drift_v<P, X>) problem.drift(x, t, a);
    else a = problem.drift(x, t);
    detail::require(a.size() == x.size(), where, "size of a(x, t)", a.size(),
                    "must equal the state size " + detail::to_text(x.size()));
    diffusion_value_t<P, X> b;
    if constexpr (in_place_diffusion_v<P, X>) {
      b = x;
      problem.diffusion(x, t, b);
    } else {
      b = problem.diffusion(x, t);
    }
    detail::require(b.rows() == x.size(), where, "rows of b(x, t)", b.rows(),
                    "must equal the state size " + detail::to_text(x.size()));
    if constexpr (noise_kind_v<P, X> == NoiseKind::diagonal) return static_cast<std::size_t>(x.size());
    else return static_cast<std::size_t>(b.cols());
  }
}

namespace detail {

template <class T>
constexpr bool has_dynamic_size() {
  if constexpr (std::is_arithmetic_v<T>) return false;
  else return T::RowsAtCompileTime == Eigen::Dynamic || T::ColsAtCompileTime == Eigen::Dynamic;
}

/// Throws std::invalid_argument unless the diffusion value b (or its derivative, `name`) has the shape that state x
/// and Wiener increment dW need at time t. Only dynamic sizes can disagree; for fixed sizes this compiles to nothing.
template <class P, class X, class B, class Inc>
void check_diffusion_shape(const B& b, const X& x, const Inc& dW, double t, std::string_view name) {
  if constexpr (has_dynamic_size<B>() || has_dynamic_size<X>() || has_dynamic_size<Inc>()) {
    // Messages are built only on failure: this runs every step.
    if (b.rows() != x.size())
      throw_invalid("sdekit::do_step", "rows of " + std::string(name), b.rows(),
                    "must equal the state size " + to_text(x.size()) + " (at t = " + to_text(t) + ")");
    if constexpr (noise_kind_v<P, X> == NoiseKind::general)
      if (b.cols() != dW.size())
        throw_invalid("sdekit::do_step", "columns of " + std::string(name), b.cols(),
                      "must equal the number of Wiener processes of the run " + to_text(dW.size()) +
                          " (at t = " + to_text(t) + ")");
  } else {
    (void)b, (void)x, (void)dW, (void)t, (void)name;
  }
}

template <class X>
void check_drift_size(const X& a, const X& x, double t) {
  if (a.size() != x.size())
    throw_invalid("sdekit::do_step", "size of a(x, t)", a.size(),
                  "must equal the state size " + to_text(x.size()) + " (at t = " + to_text(t) + ")");
}

/// a(x, t), with its size checked against x where sizes are dynamic: a drift whose size changes during a run is
/// an error naming the time, not a read past the state. (One comparison next to the vector's allocation.)
template <class P, class X>
X drift_at(const P& problem, const X& x, double t) {
  if constexpr (in_place_drift_v<P, X>) {
    X a = x;  // sized like x; an in-place drift writes every component
    problem.drift(x, t, a);
    check_drift_size(a, x, t);
    return a;
  } else {
    X a = problem.drift(x, t);
    if constexpr (has_dynamic_size<X>()) check_drift_size(a, x, t);
    return a;
  }
}

/// a(x, t) into out, which keeps its memory from step to step: an in-place drift writes into it (out is sized like
/// x first, which allocates only when the size changes); a returning one is assigned to it.
template <class P, class X>
void drift_into(const P& problem, const X& x, double t, X& out) {
  if constexpr (in_place_drift_v<P, X>) {
    if constexpr (has_dynamic_size<X>())
      if (out.size() != x.size()) out.resize(x.size());
    problem.drift(x, t, out);
  } else {
    out = problem.drift(x, t);
  }
  if constexpr (has_dynamic_size<X>()) check_drift_size(out, x, t);
}

/// b(x, t), with its shape checked against x and dW where sizes are dynamic (see check_diffusion_shape).
template <class P, class X, class Inc>
diffusion_value_t<P, X> diffusion_at(const P& problem, const X& x, double t, const Inc& dW) {
  if constexpr (in_place_diffusion_v<P, X>) {
    diffusion_value_t<P, X> b = x;
    problem.diffusion(x, t, b);
    check_diffusion_shape<P>(b, x, dW, t, "b(x, t)");
    return b;
  } else {
    diffusion_value_t<P, X> b = problem.diffusion(x, t);
    check_diffusion_shape<P>(b, x, dW, t, "b(x, t)");
    return b;
  }
}

/// b(x, t) into out, kept from step to step like drift_into's, with its shape checked as diffusion_at's.
template <class P, class X, class Inc>
void diffusion_into(const P& problem, const X& x, double t, const Inc& dW, diffusion_value_t<P, X>& out) {
  if constexpr (in_place_diffusion_v<P, X>) {
    if constexpr (has_dynamic_size<X>())
      if (out.size() != x.size()) out.resize(x.size());
    problem.diffusion(x, t, out);
  } else {
    out = problem.diffusion(x, t);
  }
  check_diffusion_shape<P>(out, x, dW, t, "b(x, t)");
}

}  // namespace detail

}  // namespace sdekit
