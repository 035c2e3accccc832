#pragma once
// Newton's method for the stage equations of drift-implicit schemes, which all take the form
//   G(y) = y − c·a(y, τ) − r = 0
// (c = θh for the θ-method, h for split-step backward Euler, …). The policy:
// - the Jacobian I − c·∂a/∂x uses the user's ∂a/∂x when the problem carries one (with_drift_jacobian), else central
//   differences of a (drift_jacobian.hpp);
// - it is factorised with Eigen's PartialPivLU (double and dense states) or Eigen::SparseLU (a user Jacobian
//   returned as Eigen::SparseMatrix<double>, whose pattern is analysed once per solve);
// - simplified Newton: the factorisation from the first iterate is reused for the iterations of the solve, and
//   refreshed at the current iterate only when an update shrinks by less than refresh_ratio against the previous
//   one (slow contraction: the Jacobian has drifted too far from the first iterate's);
// - a drift declared affine (with_linear_drift) makes G linear: one factorisation and one solve, no iteration;
// - an update is accepted only if it decreases ‖G‖∞; otherwise the factorisation is refreshed (if stale) and the
//   step halved, up to 2^-10 (a damped Newton, so a large noise increment does not throw the iterate to a far root);
// - converged when the update satisfies ‖Δy‖∞ ≤ tolerance·(1 + ‖y‖∞); otherwise, after max_iterations, a singular
//   matrix, a non-finite residual or no descent, the result says why, and the scheme throws StepFailed with it;
// - the root must lie on the solution branch: the one that continues y = r at c = 0, along which det(I − c·∂a/∂x)
//   stays positive (it is 1 at c = 0 and vanishes only at a fold). A nonlinear stage equation can have other roots
//   (the stiff quadratic problem y + c(α + β²y)(1 − y²) = r has a second one in (−1, 1) once 2αc > 1 and r > 1, born
//   at the fold of the repelling equilibrium +1), and Newton started from the explicit predictor r can converge to
//   one, or stall between them. When the first solve ends at a root whose Newton matrix has det ≤ 0, or fails, the
//   stage is solved again by continuation in c: y − s·c·a(y) = r for s rising from 0 to 1 in adaptive steps, each
//   solve started from the previous root and accepted only with det > 0. If that also fails, the first solve's
//   outcome stands (so a stage with no root is still reported with the first solve's reason). A drift with a
//   one-sided Lipschitz constant L and cL < 1 has det > 0 everywhere: there the check never triggers.
#include <sdekit/core/drift_jacobian.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/problem.hpp>

#include <Eigen/LU>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace sdekit {

/// How drift-implicit schemes solve their stage equations by Newton's method.
struct NewtonOptions {
  double tolerance = 1e-10;  ///< converged when the update satisfies ‖Δy‖∞ ≤ tolerance·(1 + ‖y‖∞)
  int max_iterations = 20;   ///< iterations allowed per solve before the step is reported as failed
  /// Simplified Newton (the default): factorise I − c·∂a/∂x once per solve and reuse it, refreshing it only when
  /// an update is larger than refresh_ratio times the previous one. false: refactorise at every iterate (full Newton).
  bool simplified = true;
  /// The contraction per iteration below which simplified Newton keeps its factorisation (in (0, 1]).
  double refresh_ratio = 0.25;
  /// Accept a root of a nonlinear stage equation only on the solution branch, det(I − c·∂a/∂x) > 0 at the root
  /// (one more Jacobian and factorisation when the last update used a factorisation from an earlier iterate), and
  /// otherwise solve again by continuation in c (see the top of core/newton.hpp). false: accept any root.
  bool check_branch = true;
};

/// Throws std::invalid_argument naming `where` and the field unless tolerance > 0 (finite), max_iterations ≥ 1 and
/// refresh_ratio ∈ (0, 1].
inline void check_newton_options(const NewtonOptions& options, std::string_view where) {
  detail::require(options.tolerance > 0 && std::isfinite(options.tolerance), where, "newton.tolerance",
                  options.tolerance, "must be positive and finite");
  detail::require(options.max_iterations >= 1, where, "newton.max_iterations", options.max_iterations,
                  "must be at least 1");
  detail::require(options.refresh_ratio > 0 && options.refresh_ratio <= 1, where, "newton.refresh_ratio",
                  options.refresh_ratio, "must lie in (0, 1]");
}

/// How a Newton solve ended.
enum class NewtonStatus {
  converged,      ///< the update fell below the tolerance (or the stage equation was linear)
  not_converged,  ///< max_iterations updates without meeting the tolerance
  singular,       ///< I − c·∂a/∂x could not be factorised (singular or non-finite)
  non_finite,     ///< the drift or an iterate turned non-finite
  no_descent,     ///< no step along the Newton direction reduces the residual (the stage may have no solution)
};

/// The outcome of one Newton solve: the status, the work done, and the reason in words when it failed.
struct NewtonResult {
  NewtonStatus status = NewtonStatus::converged;  ///< how it ended
  int iterations = 0;                             ///< Newton updates applied
  int factorizations = 0;                         ///< factorisations of I − c·∂a/∂x (1 unless refreshed)
  double last_update = 0;                         ///< ‖Δy‖∞ of the last update
  double tolerance = 0;                           ///< the tolerance asked for
  /// True when the solve succeeded.
  bool converged() const { return status == NewtonStatus::converged; }
  /// Why the solve failed, in words ("" when it converged).
  std::string reason() const {
    switch (status) {
      case NewtonStatus::converged:
        return "";
      case NewtonStatus::not_converged:
        return "Newton's method did not converge in " + std::to_string(iterations) + " iterations (last update " +
               detail::to_text(last_update) + ", tolerance " + detail::to_text(tolerance) + ")";
      case NewtonStatus::singular:
        return "the Newton matrix I - c*da/dx is singular";
      case NewtonStatus::non_finite:
        return "Newton's method met a non-finite drift or iterate";
      case NewtonStatus::no_descent:
        return "Newton's method found no step that reduces the residual after " + std::to_string(iterations) +
               " iterations (the implicit equation may have no solution at this step size)";
    }
    return "";
  }
};

namespace detail {

template <class J>
inline constexpr bool is_sparse_matrix_v = std::is_base_of_v<Eigen::SparseMatrixBase<J>, J>;

/// The factorised Newton matrix M = I − c·J for a Jacobian of type J; factor() returns false when M is singular.
template <class J, bool Sparse = is_sparse_matrix_v<J>>
class NewtonMatrix {  // dense
 public:
  bool factor(const J& jacobian, double c) {
    if (!jacobian.allFinite()) return false;
    const J m = J::Identity(jacobian.rows(), jacobian.cols()) - c * jacobian;
    lu_.compute(m);
    // PartialPivLU does not detect singularity: a pivot of U at rounding level against the matrix's size does (a
    // cheap test that runs every step, where rcond() would cost extra solves).
    const double scale = m.cwiseAbs().maxCoeff();
    const double threshold = std::numeric_limits<double>::epsilon() * double(m.rows()) * scale;
    return lu_.matrixLU().diagonal().cwiseAbs().minCoeff() > threshold;
  }
  template <class X>
  X solve(const X& g) const {
    return lu_.solve(g);
  }
  /// The sign of det(M) (the factorisation is non-singular): the permutation's parity times U's negative pivots.
  int sign() const {
    int s = static_cast<int>(lu_.permutationP().determinant());
    const auto pivots = lu_.matrixLU().diagonal();
    for (Eigen::Index i = 0; i < pivots.size(); ++i)
      if (pivots[i] < 0) s = -s;
    return s;
  }

 private:
  Eigen::PartialPivLU<J> lu_;
};

template <>
class NewtonMatrix<double, false> {
 public:
  bool factor(double jacobian, double c) {
    m_ = 1.0 - c * jacobian;
    return std::isfinite(m_) && std::abs(m_) > std::numeric_limits<double>::epsilon() * (1.0 + std::abs(c * jacobian));
  }
  double solve(double g) const { return g / m_; }
  int sign() const { return m_ > 0 ? 1 : -1; }

 private:
  double m_ = 1.0;
};

template <class J>
class NewtonMatrix<J, true> {
 public:
  bool factor(const J& jacobian, double c) {
    using Sparse = Eigen::SparseMatrix<double>;
    Sparse identity(jacobian.rows(), jacobian.cols());
    identity.setIdentity();
    Sparse m = identity - c * Sparse(jacobian);
    m.makeCompressed();
    for (Eigen::Index k = 0; k < m.nonZeros(); ++k)
      if (!std::isfinite(m.valuePtr()[k])) return false;
    // The pattern is the same at every iterate of a solve: analyse it once, refactorise numerically only.
    if (!analysed_) {
      lu_.analyzePattern(m);
      analysed_ = true;
    }
    lu_.factorize(m);
    return lu_.info() == Eigen::Success;
  }
  template <class X>
  X solve(const X& g) const {
    return const_cast<Eigen::SparseLU<Eigen::SparseMatrix<double>>&>(lu_).solve(g);
  }
  int sign() const {
    return static_cast<int>(const_cast<Eigen::SparseLU<Eigen::SparseMatrix<double>>&>(lu_).signDeterminant());
  }
  /// The next factor() analyses its matrix's pattern again (a new sparsity pattern).
  void forget_pattern() { analysed_ = false; }

 private:
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu_;
  bool analysed_ = false;
};

template <class X>
double max_norm(const X& x) {
  if constexpr (std::is_arithmetic_v<X>) return std::abs(x);
  else return x.template lpNorm<Eigen::Infinity>();
}

/// Checks a user Jacobian's shape against the state (dynamic sizes only); throws naming the time.
template <class J, class X>
void check_jacobian_shape(const J& jacobian, const X& x, double t) {
  if constexpr (!std::is_arithmetic_v<J>)
    if (jacobian.rows() != x.size() || jacobian.cols() != x.size())
      throw_invalid("sdekit: Newton solve", "size of the drift Jacobian",
                    to_text(jacobian.rows()) + "x" + to_text(jacobian.cols()),
                    "must be " + to_text(x.size()) + "x" + to_text(x.size()) + " (at t = " + to_text(t) + ")");
}

/// True when two sparse matrices are compressed with the same pattern (sizes, outer and inner indices).
template <class J>
bool same_sparse_pattern(const J& a, const J& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.nonZeros() != b.nonZeros() || !a.isCompressed() ||
      !b.isCompressed())
    return false;
  const auto outer = static_cast<std::size_t>(a.outerSize() + 1), nnz = static_cast<std::size_t>(a.nonZeros());
  return std::equal(a.outerIndexPtr(), a.outerIndexPtr() + outer, b.outerIndexPtr()) &&
         std::equal(a.innerIndexPtr(), a.innerIndexPtr() + nnz, b.innerIndexPtr());
}

/// True when two Jacobians are the same matrix, entry for entry (a NaN entry never is); sparse ones only when both
/// are compressed with the same pattern.
inline bool same_jacobian(double a, double b) { return a == b; }
template <class J>
bool same_jacobian(const J& a, const J& b) {
  if constexpr (is_sparse_matrix_v<J>) {
    return same_sparse_pattern(a, b) &&
           std::equal(a.valuePtr(), a.valuePtr() + static_cast<std::size_t>(a.nonZeros()), b.valuePtr());
  } else {
    return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
  }
}

/// The factorisations of I − c·J for a declared-linear drift, kept from one solve to the next (per thread and drift
/// type): refactorised only when J or c changes, so a constant linear drift is factorised once per step size, not
/// once per step and particle. Up to four (J, c) pairs are kept, replaced in turn: a uniform TimeGrid's steps
/// t_{k+1} − t_k take a few values that differ in the last bits (t_k = t0 + k·dt is rounded), and they alternate.
template <class J>
class LinearStageFactors {
 public:
  /// The factorisation for (jacobian, c), or nullptr when I − c·J is singular; `factorised` says whether it was
  /// computed now.
  const NewtonMatrix<J>* get(const J& jacobian, double c, bool& factorised) {
    for (Entry& e : entries_)
      if (e.valid && e.c == c && same_jacobian(jacobian, e.jacobian)) {
        factorised = false;
        return e.nonsingular ? &e.matrix : nullptr;
      }
    factorised = true;
    Entry& e = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    // The pattern analysis of a sparse factorisation belongs to one pattern: start afresh unless it is the same.
    if constexpr (is_sparse_matrix_v<J>) {
      if (!e.valid || !same_sparse_pattern(jacobian, e.jacobian)) e.matrix.forget_pattern();
    }
    e.jacobian = jacobian;
    e.c = c;
    e.valid = true;
    e.nonsingular = e.matrix.factor(e.jacobian, c);
    return e.nonsingular ? &e.matrix : nullptr;
  }

 private:
  struct Entry {
    J jacobian{};
    double c = 0;
    bool valid = false;
    bool nonsingular = false;
    NewtonMatrix<J> matrix;
  };

  std::array<Entry, 4> entries_;
  std::size_t next_ = 0;
};

}  // namespace detail

namespace detail {

/// One Newton solve of y − c·a(y, τ) = r from y's value (the policy at the top of this header, without the branch
/// check); `sign` receives the sign of det(I − c·∂a/∂x) of the last factorisation used.
template <class D, class X>
NewtonResult newton_iterate(const D& drift, X& y, const X& r, double c, double tau, const NewtonOptions& options,
                            int& sign) {
  NewtonResult result;
  result.tolerance = options.tolerance;
  auto residual = [&](const X& z) -> X {
    const X a = drift(z, tau);
    if constexpr (detail::has_dynamic_size<X>())
      if (a.size() != z.size())
        detail::throw_invalid(
            "sdekit: Newton solve", "size of a(x, t)", a.size(),
            "must equal the state size " + detail::to_text(z.size()) + " (at t = " + detail::to_text(tau) + ")");
    return X(z - c * a - r);
  };
  auto jacobian = detail::jacobian_of(drift, y, tau);
  using J = decltype(jacobian);
  detail::check_jacobian_shape(jacobian, y, tau);
  auto fail = [&](NewtonStatus status) {
    result.status = status;
    return result;
  };
  if constexpr (drift_declared_linear<D>()) {
    // An affine drift makes G linear: one solve is exact (up to rounding), whatever the size of the update. The
    // factorisation of I − c·J is reused while J and c are unchanged (every step and particle of a constant linear
    // drift at a fixed dt): same matrix, same factors, same bits as factorising again.
    static thread_local detail::LinearStageFactors<J> factors;
    bool factorised = false;
    const detail::NewtonMatrix<J>* matrix = factors.get(jacobian, c, factorised);
    result.factorizations = factorised ? 1 : 0;
    if (!matrix) return fail(NewtonStatus::singular);
    const X g = residual(y);
    if (!all_finite(g)) return fail(NewtonStatus::non_finite);
    const X update = matrix->solve(g);
    y -= update;
    result.iterations = 1;
    result.last_update = detail::max_norm(update);
    sign = matrix->sign();
    return all_finite(y) ? result : fail(NewtonStatus::non_finite);
  }
  detail::NewtonMatrix<J> matrix;
  auto factor_at = [&](const X& z, bool fresh) {
    if (fresh) jacobian = detail::jacobian_of(drift, z, tau);
    ++result.factorizations;
    return matrix.factor(jacobian, c);
  };
  // The sign of det(I − c·∂a/∂x) at the root: from the last factorisation when it was made at the iterate the final
  // update started from, else from a fresh one at the root (a stale one may lie across a fold from the root).
  auto done = [&](bool factorised_here) {
    if (factorised_here || !options.check_branch) {
      sign = matrix.sign();
    } else {
      jacobian = detail::jacobian_of(drift, y, tau);
      ++result.factorizations;
      sign = matrix.factor(jacobian, c) ? matrix.sign() : 0;
    }
    return result;
  };
  if (!factor_at(y, false)) return fail(NewtonStatus::singular);
  X g = residual(y);
  if (!all_finite(g)) return fail(NewtonStatus::non_finite);
  bool fresh = true;  // the factorisation belongs to the current iterate
  double previous = std::numeric_limits<double>::infinity();
  for (int k = 1; k <= options.max_iterations; ++k) {
    X update = matrix.solve(g);
    result.iterations = k;
    if (!all_finite(update)) return fail(NewtonStatus::non_finite);
    if (detail::max_norm(update) <= options.tolerance * (1.0 + detail::max_norm(y))) {
      y -= update;
      result.last_update = detail::max_norm(update);
      return done(fresh);
    }
    // Accept the update only if it decreases ‖G‖: otherwise refresh a stale factorisation, then halve the step
    // (up to 2^-10). This keeps Newton from being thrown to a far root of a nonlinear stage equation by a large
    // noise increment, and it is how a stage equation without a solution is recognised.
    const double norm_g = detail::max_norm(g);
    X trial = y - update;
    X g_trial = residual(trial);
    auto decreased = [&](double step) {
      return all_finite(g_trial) && detail::max_norm(g_trial) < (1.0 - 1e-4 * step) * norm_g;
    };
    double step = 1.0;
    if (!decreased(step)) {
      if (!fresh) {
        if (!factor_at(y, true)) return fail(NewtonStatus::singular);
        fresh = true;
        update = matrix.solve(g);
        trial = y - update;
        g_trial = residual(trial);
      }
      while (!decreased(step) && step > 1.0 / 1024) {
        step *= 0.5;
        trial = y - step * update;
        g_trial = residual(trial);
      }
      if (!decreased(step)) {
        result.last_update = detail::max_norm(update);
        return fail(NewtonStatus::no_descent);
      }
    }
    result.last_update = step * detail::max_norm(update);
    y = trial;
    g = g_trial;
    if (result.last_update <= options.tolerance * (1.0 + detail::max_norm(y))) return done(fresh);
    if (k < options.max_iterations && (!options.simplified || result.last_update > options.refresh_ratio * previous)) {
      if (!factor_at(y, true)) return fail(NewtonStatus::singular);
      fresh = true;
    } else {
      fresh = false;
    }
    previous = result.last_update;
  }
  return fail(NewtonStatus::not_converged);
}

/// The stage solved by continuation from the exact root y = anchor of s = 0 along
///   H(y, s) = y − s·c·a(y, τ) − (anchor + s·(r − anchor)) = 0,   s from 0 to 1
/// in adaptive steps (see the top of this header): leaves the root in y and returns converged, or the last partial
/// solve's failure (y untouched) once the step in s has been halved below 2^-10.
template <class D, class X>
NewtonResult continue_stage(const D& drift, X& y, const X& r, const X& anchor, double c, double tau,
                            const NewtonOptions& options) {
  NewtonResult total;
  total.tolerance = options.tolerance;
  X z = anchor;
  double s = 0, ds = 0.25;
  while (s < 1) {
    const double next = std::min(1.0, s + ds);
    X trial = z;
    const X target = next == 1.0 ? r : X(anchor + next * (r - anchor));
    int sign = 0;
    const NewtonResult part = newton_iterate(drift, trial, target, next * c, tau, options, sign);
    total.iterations += part.iterations;
    total.factorizations += part.factorizations;
    total.last_update = part.last_update;
    if (part.converged() && sign > 0) {
      z = trial;
      s = next;
      ds *= 2;
    } else if ((ds *= 0.5) < 1.0 / 1024) {
      total.status = part.converged() ? NewtonStatus::no_descent : part.status;
      return total;
    }
  }
  y = z;
  return total;
}

}  // namespace detail

/// Solves y − c·a(y, τ) = r for y by Newton's method, a the drift functor `drift` (see the top of this header for
/// the policy, including the solution-branch check and its continuation fallback, which starts from `anchor`: the
/// step's starting state, where the stage equation with c = 0 and r = anchor has its root), starting from y's value
/// and leaving the root (or, after a failure, the last accepted iterate) in y. Returns how it went; never throws for
/// a failed solve (the scheme turns a failure into StepFailed).
template <class D, class X>
NewtonResult solve_drift_stage(const D& drift, X& y, const X& r, const X& anchor, double c, double tau,
                               const NewtonOptions& options) {
  int sign = 0;
  const NewtonResult first = detail::newton_iterate(drift, y, r, c, tau, options, sign);
  if constexpr (drift_declared_linear<D>()) {
    return first;  // a linear stage equation has one root (or none): nothing to choose
  } else {
    if (!options.check_branch || (first.converged() && sign > 0)) return first;
    X root = y;
    NewtonResult continued = detail::continue_stage(drift, root, r, anchor, c, tau, options);
    if (!continued.converged()) return first;
    y = root;
    continued.iterations += first.iterations;
    continued.factorizations += first.factorizations;
    return continued;
  }
}

/// solve_drift_stage with the continuation anchored at r itself (continuation in c alone).
template <class D, class X>
NewtonResult solve_drift_stage(const D& drift, X& y, const X& r, double c, double tau, const NewtonOptions& options) {
  return solve_drift_stage(drift, y, r, r, c, tau, options);
}

/// solve_drift_stage with problem P's drift, anchored at the step's starting state.
template <class P, class X>
NewtonResult solve_stage(const P& problem, X& y, const X& r, const X& anchor, double c, double tau,
                         const NewtonOptions& options) {
  return solve_drift_stage(problem.drift, y, r, anchor, c, tau, options);
}

/// solve_drift_stage with problem P's drift: y − c·a(y, τ) = r.
template <class P, class X>
NewtonResult solve_stage(const P& problem, X& y, const X& r, double c, double tau, const NewtonOptions& options) {
  return solve_drift_stage(problem.drift, y, r, c, tau, options);
}

}  // namespace sdekit
