// ou_em: scalar Ornstein–Uhlenbeck dx = θ(μ − x)dt + σ dW with Euler–Maruyama.
#include "case_common.hpp"

#include <sdekit/solvers/euler_maruyama.hpp>

namespace sdekit_bench {
namespace {

constexpr double theta = 1.0, mu = 0.5, sigma = 0.3, x0 = 0.0, dt = 1e-3;

BenchRun ours(const BenchConfig& config) {
  const auto ou =
      sdekit::make_sde([](double x, double) { return theta * (mu - x); }, [](double, double) { return sigma; });
  return ensemble_run(config, sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, x0, ensemble_options(config, dt)));
}

BenchRun baseline(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(config.particles);
  const double sqrt_dt = std::sqrt(dt);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = x0;
    for (std::size_t k = 0; k < config.steps; ++k) x += theta * (mu - x) * dt + sigma * sqrt_dt * rng();
    final_states[static_cast<std::size_t>(i)] = x;
  }
  return baseline_run(config, final_states, 1);
}

const bool registered = register_case({"ou_em", ours, baseline});

}  // namespace
}  // namespace sdekit_bench
