// The compiled snippets of docs/stiff.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <string>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  //[ theta
  // dX = −1000 X dt + 10 X dW: explicit EM needs dt < 0.0019 here; backward Euler (θ = 1) runs at dt = 0.01.
  auto stiff =
      sdekit::make_sde([](double x, double) { return -1000.0 * x; }, [](double x, double) { return 10.0 * x; });
  sdekit::ThetaMethod implicit_em(1.0);  // θ = 1: backward; θ = 0.5: trapezoidal
  double x = 1.0;
  sdekit::integrate(implicit_em, stiff, x, 0.0, 1.0, 0.01, sdekit::GaussianNoise(42, 0));
  //]
  check(std::isfinite(x) && std::abs(x) < 1e-10, "theta = 1 decays on the stiff test equation");

  using Vec2 = Eigen::Vector2d;
  //[ jacobian
  // A 2-D drift with its Jacobian: Newton uses it instead of central differences.
  auto drift = [](const Vec2& v, double) -> Vec2 { return Vec2(-v[0] * v[0] * v[0] + v[1], -1e4 * v[1] + v[0]); };
  auto jacobian = [](const Vec2& v, double) {
    Eigen::Matrix2d j;
    j << -3 * v[0] * v[0], 1.0, 1.0, -1e4;
    return j;
  };
  auto noise = [](const Vec2&, double) -> Vec2 { return Vec2(0.1, 0.1); };
  auto problem = sdekit::with_drift_jacobian(sdekit::make_sde(drift, noise, sdekit::additive), jacobian);
  sdekit::NewtonOptions newton;
  newton.tolerance = 1e-12;    // on the update: |dy| <= tolerance * (1 + |y|)
  newton.max_iterations = 10;  // then the step fails with the reason
  sdekit::ThetaMethod backward(1.0, newton);
  Vec2 v(1.0, 0.0);
  sdekit::integrate(backward, problem, v, 0.0, 1.0, 0.01, sdekit::GaussianNoise(42, 0));
  //]
  check(v.allFinite() && std::abs(v[1]) < 0.01, "the stiff component stays small");

  //[ linear
  // A drift declared affine in x (a = A x + c): one solve per step, no iteration; the LU of I - dt A is reused.
  const Eigen::Matrix2d A = (Eigen::Matrix2d() << -1.0, 0.0, 0.0, -1e4).finished();
  auto linear = sdekit::with_linear_drift(
      sdekit::make_sde([A](const Vec2& y, double) -> Vec2 { return A * y; }, noise, sdekit::additive),
      [A](const Vec2&, double) { return A; });
  //]
  Vec2 w(1.0, 1.0);
  sdekit::integrate(backward, linear, w, 0.0, 1.0, 0.01, sdekit::GaussianNoise(42, 0));
  check(w.allFinite() && std::abs(w[1]) < 0.01, "the declared-linear stiff system stays bounded");

  //[ imex
  // Stiff linear decay (implicit, with its Jacobian) plus a non-stiff nonlinear force (explicit).
  auto split = sdekit::make_sde(
      sdekit::split_drift([](double y, double) { return -1000.0 * y; },   // stiff part
                          [](double, double) { return -1000.0; },         // its Jacobian
                          [](double y, double) { return std::sin(y); }),  // non-stiff part
      [](double, double) { return 0.1; }, sdekit::additive);
  sdekit::ImexEulerMaruyama imex(1.0);
  double s = 1.0;
  sdekit::integrate(imex, split, s, 0.0, 1.0, 0.01, sdekit::GaussianNoise(42, 0));
  //]
  check(std::isfinite(s) && std::abs(s) < 0.1, "IMEX stays near the stiff equilibrium");

  //[ failure
  // dX = (X² + 1) dt: at dt = 0.25 the backward-Euler equation y − dt (y² + 1) = x has no root once x > 0.75.
  auto riccati = sdekit::make_sde([](double y, double) { return y * y + 1; }, [](double, double) { return 0.0; },
                                  sdekit::additive);
  double r = 0.0;
  std::string reason;
  try {
    sdekit::integrate(implicit_em, riccati, r, 0.0, 2.0, 0.25, sdekit::GaussianNoise(1, 0));
  } catch (const sdekit::StepFailed& failure) {
    reason = failure.what();  // "sdekit::integrate: step 3: sdekit::ThetaMethod: Newton's method ... from t = 0.75 …"
  }
  //]
  check(reason.find("step 3") != std::string::npos, "the failed step is named");

  //[ tamed
  // dX = (X − X³) dt + X dW from X0 = 5 at dt = 0.1: explicit EM overflows, tamed EM settles.
  auto cubic = sdekit::make_sde([](double y, double) { return y - y * y * y; }, [](double y, double) { return y; });
  sdekit::TamedEulerMaruyama tamed;
  double z = 5.0;
  sdekit::integrate(tamed, cubic, z, 0.0, 10.0, 0.1, sdekit::GaussianNoise(3, 0));
  //]
  check(std::isfinite(z) && std::abs(z) < 5, "tamed EM stays bounded");
  return sdekit_snippets::failures;
}
