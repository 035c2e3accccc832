// lorenz_em: the 3-D Lorenz system with additive diagonal noise, dx = f(x)dt + s dW (Eigen::Vector3d state),
// Euler–Maruyama.
#include "case_common.hpp"

#include <sdekit/solvers/euler_maruyama.hpp>

namespace sdekit_bench {
namespace {

constexpr double sig = 10.0, rho = 28.0, beta = 8.0 / 3.0, noise = 1.0, dt = 1e-3;

BenchRun ours(const BenchConfig& config) {
  using V = Eigen::Vector3d;
  const auto lorenz = sdekit::make_sde(
      [](const V& x, double) { return V(sig * (x[1] - x[0]), x[0] * (rho - x[2]) - x[1], x[0] * x[1] - beta * x[2]); },
      [](const V&, double) { return V::Constant(noise); });
  return ensemble_run(config, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, lorenz, V(1.0, 1.0, 1.0),
                                                        ensemble_options(config, dt)));
}

// lorenz_em_batched: the same problem written as a batched problem (functors over a StateBlock of particles, a
// column each, rows contiguous), so the step vectorises across particles; same arithmetic per particle, hence the
// same checksum, and the same baseline.
BenchRun ours_batched(const BenchConfig& config) {
  using sdekit::StateBlock;
  const auto lorenz = sdekit::make_sde(
      [](const StateBlock& x, double, StateBlock& out) {
        out.row(0).array() = sig * (x.row(1).array() - x.row(0).array());
        out.row(1).array() = x.row(0).array() * (rho - x.row(2).array()) - x.row(1).array();
        out.row(2).array() = x.row(0).array() * x.row(1).array() - beta * x.row(2).array();
      },
      [](const StateBlock&, double, StateBlock& out) { out.setConstant(noise); });
  return ensemble_run(config, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, lorenz, Eigen::Vector3d(1.0, 1.0, 1.0),
                                                        ensemble_options(config, dt)));
}

BenchRun baseline(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(3 * config.particles);
  const double sqrt_dt = std::sqrt(dt);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = 1.0, y = 1.0, z = 1.0;
    for (std::size_t k = 0; k < config.steps; ++k) {
      const double fx = sig * (y - x), fy = x * (rho - z) - y, fz = x * y - beta * z;
      const double w0 = rng(), w1 = rng(), w2 = rng();
      x += fx * dt + noise * sqrt_dt * w0;
      y += fy * dt + noise * sqrt_dt * w1;
      z += fz * dt + noise * sqrt_dt * w2;
    }
    final_states[3 * static_cast<std::size_t>(i)] = x;
    final_states[3 * static_cast<std::size_t>(i) + 1] = y;
    final_states[3 * static_cast<std::size_t>(i) + 2] = z;
  }
  return baseline_run(config, final_states, 3);
}

const bool registered = register_case({"lorenz_em", ours, baseline});
const bool registered_batched = register_case({"lorenz_em_batched", ours_batched, baseline});

}  // namespace
}  // namespace sdekit_bench
