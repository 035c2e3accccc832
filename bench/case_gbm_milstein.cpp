// gbm_milstein: scalar geometric Brownian motion dx = μx dt + σx dW with Milstein, given ∂b/∂x = σ as the
// baseline is (the same algorithm on both sides). Without it Milstein uses its derivative-free Runge–Kutta form,
// which costs one more diffusion call and a square root and division per step (see docs/performance.md).
#include "case_common.hpp"

#include <sdekit/solvers/milstein.hpp>

namespace sdekit_bench {
namespace {

constexpr double mu = 0.05, sigma = 0.2, x0 = 1.0, dt = 1e-3;

BenchRun ours(const BenchConfig& config) {
  const auto gbm = sdekit::make_sde([](double x, double) { return mu * x; }, [](double x, double) { return sigma * x; })
                       .with_diffusion_derivative([](double, double) { return sigma; });
  return ensemble_run(config, sdekit::simulate_ensemble(sdekit::Milstein{}, gbm, x0, ensemble_options(config, dt)));
}

BenchRun baseline(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(config.particles);
  const double sqrt_dt = std::sqrt(dt);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = x0;
    for (std::size_t k = 0; k < config.steps; ++k) {
      const double dw = sqrt_dt * rng();
      x += mu * x * dt + sigma * x * dw + 0.5 * sigma * sigma * x * (dw * dw - dt);
    }
    final_states[static_cast<std::size_t>(i)] = x;
  }
  return baseline_run(config, final_states, 1);
}

const bool registered = register_case({"gbm_milstein", ours, baseline});

}  // namespace
}  // namespace sdekit_bench
