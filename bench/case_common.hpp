#pragma once
// Shared by the SDE cases: the sdekit side runs simulate_ensemble over [0, steps·dt] with statistics at the end
// only; the baseline is the loop a competent user writes (per particle a std::mt19937_64 and a
// std::normal_distribution, a plain step, OpenMP over particles), compiled with the same flags.
#include "bench_case.hpp"

#include <sdekit/ensemble/simulate.hpp>

#include <omp.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace sdekit_bench {

/// Ensemble options for a case: particles, seed, threads from the config; t1 = steps·dt.
inline sdekit::EnsembleOptions ensemble_options(const BenchConfig& config, double dt) {
  sdekit::EnsembleOptions options;
  options.particles = config.particles;
  options.seed = config.seed;
  options.t0 = 0.0;
  options.dt = dt;
  options.t1 = static_cast<double>(config.steps) * dt;
  options.threads = config.threads;
  return options;
}

/// The work and checksum of an sdekit run, after checking it ran every particle through every step.
template <class X>
BenchRun ensemble_run(const BenchConfig& config, const sdekit::EnsembleResult<X>& result) {
  if (!result.failures.empty()) throw std::runtime_error("bench: a particle failed");
  if (result.statistics.back().alive != config.particles) throw std::runtime_error("bench: particles lost");
  const Eigen::MatrixXd& final_states = result.values.back();
  return {static_cast<double>(config.particles) * static_cast<double>(config.steps),
          checksum_of(final_states.data(), static_cast<std::size_t>(final_states.size()))};
}

/// The baseline's random numbers for particle i: its own Mersenne Twister and normal distribution.
struct BaselineRng {
  std::mt19937_64 engine;
  std::normal_distribution<double> normal{0.0, 1.0};
  BaselineRng(std::uint64_t seed, std::size_t i) : engine(seed * 0x9E3779B97F4A7C15ull + i) {}
  double operator()() { return normal(engine); }
};

/// Baseline work and checksum, with the final mean and variance per component (the "statistics at the end").
inline BenchRun baseline_run(const BenchConfig& config, const std::vector<double>& final_states,
                             std::size_t dimension) {
  std::vector<double> mean(dimension, 0.0), m2(dimension, 0.0);
  const std::size_t n = final_states.size() / dimension;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < dimension; ++c) {
      const double x = final_states[i * dimension + c];
      const double delta = x - mean[c];
      mean[c] += delta / static_cast<double>(i + 1);
      m2[c] += delta * (x - mean[c]);
    }
  std::vector<double> digest(mean);
  digest.insert(digest.end(), m2.begin(), m2.end());
  return {static_cast<double>(config.particles) * static_cast<double>(config.steps),
          checksum_of(digest.data(), digest.size())};
}

}  // namespace sdekit_bench
