// general_em: a 2-D linear SDE driven by 3 Wiener processes, dx = A x dt + B(x) dW with B a 2×3 matrix
// (general noise), Euler–Maruyama.
#include "case_common.hpp"

#include <sdekit/solvers/euler_maruyama.hpp>

namespace sdekit_bench {
namespace {

constexpr double a00 = -1.0, a01 = 0.5, a10 = -0.5, a11 = -1.0, dt = 1e-3;
constexpr double b00 = 0.3, b01 = 0.1, b02 = 0.0, b10 = 0.0, b11 = 0.2, b12 = 0.1, scale = 0.1;

BenchRun ours(const BenchConfig& config) {
  using V = Eigen::Vector2d;
  using B = Eigen::Matrix<double, 2, 3>;
  const auto sde =
      sdekit::make_sde([](const V& x, double) { return V(a00 * x[0] + a01 * x[1], a10 * x[0] + a11 * x[1]); },
                       [](const V& x, double) {
                         B b;
                         b << b00 + scale * x[0], b01, b02, b10, b11 + scale * x[1], b12;
                         return b;
                       });
  return ensemble_run(
      config, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, V(1.0, 0.0), ensemble_options(config, dt)));
}

// general_em_batched: the same problem written as a batched problem (functors over a StateBlock of particles, a
// column each, rows contiguous), so the step vectorises across particles; same arithmetic per particle, hence the
// same checksum, and the same baseline.
BenchRun ours_batched(const BenchConfig& config) {
  using sdekit::StateBlock;
  const auto sde = sdekit::make_sde(
      [](const StateBlock& x, double, StateBlock& out) {
        out.row(0) = a00 * x.row(0) + a01 * x.row(1);
        out.row(1) = a10 * x.row(0) + a11 * x.row(1);
      },
      sdekit::batched_noise_term(
          [](const StateBlock& x, double, const StateBlock& dW, StateBlock& out) {
            out.row(0).array() = (b00 + scale * x.row(0).array()) * dW.row(0).array() + b01 * dW.row(1).array() +
                                 b02 * dW.row(2).array();
            out.row(1).array() = b10 * dW.row(0).array() + (b11 + scale * x.row(1).array()) * dW.row(1).array() +
                                 b12 * dW.row(2).array();
          },
          3));
  return ensemble_run(config, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, Eigen::Vector2d(1.0, 0.0),
                                                        ensemble_options(config, dt)));
}

BenchRun baseline(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(2 * config.particles);
  const double sqrt_dt = std::sqrt(dt);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = 1.0, y = 0.0;
    for (std::size_t k = 0; k < config.steps; ++k) {
      const double w0 = sqrt_dt * rng(), w1 = sqrt_dt * rng(), w2 = sqrt_dt * rng();
      const double fx = a00 * x + a01 * y, fy = a10 * x + a11 * y;
      const double gx = (b00 + scale * x) * w0 + b01 * w1 + b02 * w2;
      const double gy = b10 * w0 + (b11 + scale * y) * w1 + b12 * w2;
      x += fx * dt + gx;
      y += fy * dt + gy;
    }
    final_states[2 * static_cast<std::size_t>(i)] = x;
    final_states[2 * static_cast<std::size_t>(i) + 1] = y;
  }
  return baseline_run(config, final_states, 2);
}

const bool registered = register_case({"general_em", ours, baseline});
const bool registered_batched = register_case({"general_em_batched", ours_batched, baseline});

}  // namespace
}  // namespace sdekit_bench
