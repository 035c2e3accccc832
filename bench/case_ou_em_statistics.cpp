// ou_em_statistics: the ou_em model run in statistics-only mode (no state kept), against a baseline that also
// keeps no states: per-thread running mean and variance (Welford), merged at the end (Chan et al.).
#include "case_common.hpp"

#include <sdekit/solvers/euler_maruyama.hpp>

namespace sdekit_bench {
namespace {

constexpr double theta = 1.0, mu = 0.5, sigma = 0.3, x0 = 0.0, dt = 1e-3;

BenchRun ours(const BenchConfig& config) {
  const auto ou =
      sdekit::make_sde([](double x, double) { return theta * (mu - x); }, [](double, double) { return sigma; });
  sdekit::EnsembleOptions options = ensemble_options(config, dt);
  options.statistics.storage = sdekit::Storage::statistics_only;
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, x0, options);
  if (result.statistics.back().alive != config.particles) throw std::runtime_error("bench: particles lost");
  const double digest[2] = {result.statistics.back().mean[0], result.statistics.back().variance[0]};
  return {static_cast<double>(config.particles) * static_cast<double>(config.steps), checksum_of(digest, 2)};
}

BenchRun baseline(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  const double sqrt_dt = std::sqrt(dt);
  double count = 0, mean = 0, m2 = 0;
#pragma omp parallel num_threads(config.threads)
  {
    double c = 0, m = 0, s = 0;
#pragma omp for schedule(static)
    for (long i = 0; i < n; ++i) {
      BaselineRng rng(config.seed, static_cast<std::size_t>(i));
      double x = x0;
      for (std::size_t k = 0; k < config.steps; ++k) x += theta * (mu - x) * dt + sigma * sqrt_dt * rng();
      c += 1;
      const double delta = x - m;
      m += delta / c;
      s += delta * (x - m);
    }
#pragma omp critical
    {
      const double total = count + c;
      if (total > 0) {
        const double delta = m - mean;
        mean += delta * c / total;
        m2 += s + delta * delta * count * c / total;
        count = total;
      }
    }
  }
  const double digest[2] = {mean, m2 / (count - 1)};
  return {static_cast<double>(config.particles) * static_cast<double>(config.steps), checksum_of(digest, 2)};
}

const bool registered = register_case({"ou_em_statistics", ours, baseline});

}  // namespace
}  // namespace sdekit_bench
