// stiff_implicit: a stiff 2-D linear system dX = A X dt + s dW (eigenvalues −1 and −10⁴, additive diagonal noise)
// at dt = 10⁻², 50 times explicit Euler–Maruyama's stability limit, by backward Euler (sdekit::ThetaMethod(1)) with
// the drift declared linear: one solve per step, the 2×2 LU of I − dt A reused while A and dt are unchanged
// (core/newton.hpp). The baseline is backward Euler written by hand with (I − dt A)⁻¹ precomputed once, so the ratio
// is the price of the general implicit machinery (the Jacobian functor and its change check, the residual, size and
// finiteness checks) on the smallest stiff system.
#include "case_common.hpp"

#include <sdekit/core/drift_jacobian.hpp>
#include <sdekit/solvers/theta_method.hpp>

#include <cmath>

namespace sdekit_bench {
namespace {

constexpr double noise = 1.0, dt = 1e-2;

Eigen::Matrix2d stiff_matrix() {
  const double c = std::cos(0.3), s = std::sin(0.3);
  Eigen::Matrix2d q;
  q << c, -s, s, c;
  return q * Eigen::Vector2d(-1.0, -1e4).asDiagonal() * q.transpose();
}

BenchRun ours(const BenchConfig& config) {
  using V = Eigen::Vector2d;
  const Eigen::Matrix2d A = stiff_matrix();
  const auto problem = sdekit::with_linear_drift(
      sdekit::make_sde([A](const V& x, double) -> V { return A * x; },
                       [](const V&, double) -> V { return V::Constant(noise); }, sdekit::additive),
      [A](const V&, double) { return A; });
  return ensemble_run(
      config, sdekit::simulate_ensemble(sdekit::ThetaMethod(1.0), problem, V(1.0, 1.0), ensemble_options(config, dt)));
}

BenchRun baseline(const BenchConfig& config) {
  const Eigen::Matrix2d M = (Eigen::Matrix2d::Identity() - dt * stiff_matrix()).inverse();
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(2 * config.particles);
  const double sqrt_dt = std::sqrt(dt);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = 1.0, y = 1.0;
    for (std::size_t k = 0; k < config.steps; ++k) {
      const double rx = x + noise * sqrt_dt * rng(), ry = y + noise * sqrt_dt * rng();
      x = M(0, 0) * rx + M(0, 1) * ry;
      y = M(1, 0) * rx + M(1, 1) * ry;
    }
    final_states[2 * static_cast<std::size_t>(i)] = x;
    final_states[2 * static_cast<std::size_t>(i) + 1] = y;
  }
  return baseline_run(config, final_states, 2);
}

const bool registered = register_case({"stiff_implicit", ours, baseline});

}  // namespace
}  // namespace sdekit_bench
