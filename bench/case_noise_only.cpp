// noise_only: the normals a scalar SDE step needs and nothing else — one N(0,1) per particle-step, drawn by the
// ensemble engine's block kernel (standard_normals_block_pair over blocks of 256 particles, two steps per call, as
// simulate_ensemble draws them). The in-process ceiling for the scalar SDE cases: a step of `ou_em` costs this plus
// the state update. The baseline draws the same count with the SDE cases' std::mt19937_64 + std::normal_distribution.
#include "case_common.hpp"

#include <sdekit/core/noise.hpp>

#include <algorithm>

namespace sdekit_bench {
namespace {

constexpr std::size_t block = 256;  // EnsembleOptions' default block size

BenchRun ours(const BenchConfig& config) {
  const std::size_t n = config.particles;
  const long blocks = static_cast<long>((n + block - 1) / block);
  std::vector<double> last(n);  // each particle's normal of the last step
#pragma omp parallel num_threads(config.threads)
  {
    std::vector<double> even(block), odd(block);  // allocated once per thread, as the engine's block buffers
#pragma omp for schedule(static)
    for (long b = 0; b < blocks; ++b) {
      const std::size_t begin = static_cast<std::size_t>(b) * block;
      const std::size_t count = std::min(block, n - begin);
      for (std::size_t k = 0; k < config.steps; k += 2) {
        const bool need_odd = k + 1 < config.steps;
        sdekit::standard_normals_block_pair(config.seed, begin, count, k / 2, 1, even.data(),
                                            need_odd ? odd.data() : nullptr);
      }
      const double* final_step = config.steps % 2 == 0 ? odd.data() : even.data();
      std::copy(final_step, final_step + count, last.begin() + static_cast<std::ptrdiff_t>(begin));
    }
  }
  return {static_cast<double>(n) * static_cast<double>(config.steps), checksum_of(last.data(), n)};
}

BenchRun baseline(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> last(config.particles);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double z = 0.0;
    for (std::size_t k = 0; k < config.steps; ++k) z = rng();
    last[static_cast<std::size_t>(i)] = z;
  }
  return baseline_run(config, last, 1);
}

const bool registered = register_case({"noise_only", ours, baseline});

}  // namespace
}  // namespace sdekit_bench
