// heat_dynamic: a stochastic heat equation on N = 1000 grid points, du_i = c (u_{i−1} − 2u_i + u_{i+1}) dt + s dW_i
// (zero boundaries), as an Eigen::VectorXd state with in-place functors a(x, t, out) and b(x, t, out) (diagonal noise),
// Euler–Maruyama. Large states are few: particles = 16·max(1, N_config / 16000) (96 at the default 10^5), in blocks
// of 16 (the noise kernel vectorises across the particles of a block). The work unit is a grid point's step (N per
// particle-step), so the rates read as components per second. The baseline is the loop a user writes over
// raw arrays with the same noise kernel and layout: per block of 16 particles, standard_normals_block_pair for two
// steps, then the tridiagonal update of each particle's array, with the arithmetic of sdekit's Euler–Maruyama step.
#include "case_common.hpp"

#include <sdekit/core/noise.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <algorithm>

namespace sdekit_bench {
namespace {

constexpr Eigen::Index grid = 1000;
constexpr double c = 200.0, s = 0.5, dt = 1e-3;  // c·dt = 0.2 < ½: stable
constexpr std::size_t block = 16;

std::size_t particles_of(const BenchConfig& config) {
  return block * std::max<std::size_t>(1, config.particles / 16000);
}

void laplacian(const double* u, double* out, Eigen::Index n) {
  out[0] = c * (-2.0 * u[0] + u[1]);
  for (Eigen::Index i = 1; i < n - 1; ++i) out[i] = c * ((u[i - 1] - 2.0 * u[i]) + u[i + 1]);
  out[n - 1] = c * (u[n - 2] - 2.0 * u[n - 1]);
}

Eigen::VectorXd initial_state() {
  Eigen::VectorXd u(grid);
  for (Eigen::Index i = 0; i < grid; ++i) u[i] = std::sin(3.141592653589793 * static_cast<double>(i + 1) / (grid + 1));
  return u;
}

BenchRun ours(const BenchConfig& config) {
  using V = Eigen::VectorXd;
  const auto heat = sdekit::make_sde([](const V& u, double, V& out) { laplacian(u.data(), out.data(), u.size()); },
                                     [](const V&, double, V& out) { out.setConstant(s); });
  BenchConfig scaled = config;
  scaled.particles = particles_of(config);
  sdekit::EnsembleOptions options = ensemble_options(scaled, dt);
  options.block_size = block;
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, heat, initial_state(), options);
  BenchRun run = ensemble_run(scaled, result);
  run.work = static_cast<double>(scaled.particles) * static_cast<double>(config.steps) * grid;
  return run;
}

BenchRun baseline(const BenchConfig& config) {
  const std::size_t particles = particles_of(config);
  const std::size_t n = static_cast<std::size_t>(grid);
  const long blocks = static_cast<long>((particles + block - 1) / block);
  const double sqrt_dt = std::sqrt(dt);
  const Eigen::VectorXd u0 = initial_state();
  std::vector<double> final_states(particles * n);
#pragma omp parallel num_threads(config.threads)
  {
    std::vector<double> u(block * n), a(block * n), even(block * n), odd(block * n);
#pragma omp for schedule(static)
    for (long b = 0; b < blocks; ++b) {
      const std::size_t begin = static_cast<std::size_t>(b) * block;
      const std::size_t count = std::min(block, particles - begin);
      for (std::size_t p = 0; p < count; ++p) std::copy(u0.data(), u0.data() + n, u.begin() + p * n);
      for (std::size_t k = 0; k < config.steps; ++k) {
        if (k % 2 == 0)
          sdekit::standard_normals_block_pair(config.seed, begin, count, k / 2, n, even.data(),
                                              k + 1 < config.steps ? odd.data() : nullptr);
        const double* z = k % 2 == 0 ? even.data() : odd.data();
        for (std::size_t p = 0; p < count; ++p) {
          double* x = u.data() + p * n;
          double* ap = a.data() + p * n;
          laplacian(x, ap, grid);
          for (std::size_t i = 0; i < n; ++i) x[i] += ap[i] * dt + s * (sqrt_dt * z[i * count + p]);
        }
      }
      std::copy(u.begin(), u.begin() + static_cast<std::ptrdiff_t>(count * n),
                final_states.begin() + static_cast<std::ptrdiff_t>(begin * n));
    }
  }
  BenchRun run = baseline_run(config, final_states, n);  // the final mean and variance, as the other baselines
  run.checksum = checksum_of(final_states.data(), final_states.size());  // the states, digested as sdekit's are
  run.work = static_cast<double>(particles) * static_cast<double>(config.steps) * grid;
  return run;
}

const bool registered = register_case({"heat_dynamic", ours, baseline});

}  // namespace
}  // namespace sdekit_bench
