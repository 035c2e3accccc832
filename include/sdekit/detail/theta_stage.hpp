#pragma once
// What the drift-implicit θ-schemes (ThetaMethod, ImexEulerMaruyama, DriftImplicitMilstein) share: θ ∈ [0, 1] and the
// Newton policy with their checks, and the end of every step — given the explicit part r of X_{n+1} (everything but
// θh·a(X_{n+1}, t_{n+1})), solve y − θh·a(y, t + h) = r by Newton's method from r, with the continuation fallback
// anchored at X_n (core/newton.hpp), and throw StepFailed naming the scheme when the solve fails.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/newton.hpp>
#include <sdekit/core/step_failed.hpp>

namespace sdekit::detail {

/// θ, the Newton policy and the implicit end of a θ-scheme's step; a scheme holds one.
class ThetaStage {
 public:
  /// θ ∈ [0, 1] and the Newton policy; throws std::invalid_argument naming the argument and `scheme` otherwise.
  ThetaStage(double theta, const NewtonOptions& newton, const char* scheme) : theta_(theta), newton_(newton) {
    require(theta >= 0 && theta <= 1, scheme, "theta", theta, "must lie in [0, 1]");
    check_newton_options(newton, scheme);
  }
  /// θ.
  double theta() const { return theta_; }
  /// The Newton policy.
  const NewtonOptions& newton() const { return newton_; }

  /// Adds the explicit share (1 − θ)h·a(X_n, t_n) of the drift to r, a(X_n, t_n) given by calling `drift_value`
  /// (not called for θ = 1).
  template <class X, class F>
  void add_explicit_drift(X& r, double dt, F&& drift_value) const {
    if (theta_ != 1.0) r += (1.0 - theta_) * dt * X(drift_value());
  }

  /// x ← the root y of y − θh·a(y, t + h) = r, a the drift functor `drift` (r itself for θ = 0); throws StepFailed
  /// naming `scheme` and the step when the Newton solve fails, leaving x unchanged.
  template <class D, class X>
  void solve(const D& drift, X& x, const X& r, double t, double dt, const char* scheme) const {
    if (theta_ == 0.0) {
      x = r;
      return;
    }
    X y = r;  // the start: the step without its implicit drift
    const NewtonResult result = solve_drift_stage(drift, y, r, x, theta_ * dt, t + dt, newton_);
    if (!result.converged()) throw StepFailed(scheme, result.reason(), t, dt);
    x = y;
  }

 private:
  double theta_;
  NewtonOptions newton_;
};

}  // namespace sdekit::detail
