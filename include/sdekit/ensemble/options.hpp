#pragma once
// Options of ensemble runs. RunOptions holds what every particle run has (how many particles, the seed, how the
// work is split over threads, progress); EnsembleOptions adds the time grid of simulate_ensemble. Samplers and
// forecasts derive their options from RunOptions too, so the whole slice reaches the engine unchanged.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise_law.hpp>
#include <sdekit/ensemble/distribution.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// How OpenMP hands out blocks of particles to threads; results do not depend on it.
enum class Schedule { static_blocks, dynamic_blocks };

/// The most OpenMP threads a run may ask for; more is refused (libgomp crashes creating 10^6 threads).
inline constexpr int max_threads = 1024;

/// What every ensemble run has: the particles, the seed, and how the work is split; none but particles and seed
/// changes the results.
struct RunOptions {
  std::size_t particles = 1000;  ///< number of particles N
  std::uint64_t seed = 0;        ///< seed of all the run's random numbers
  int threads = 0;               ///< OpenMP threads; 0: OpenMP's default (OMP_NUM_THREADS); at most max_threads
  std::size_t block_size = 256;  ///< particles per block (a work unit); does not change results
  Schedule schedule = Schedule::static_blocks;  ///< OpenMP schedule over blocks; does not change results
  /// Called with the fraction of particles done (increasing, one call at a time, from any thread).
  std::function<void(double)> progress;
  /// Runs the particles on several processes (sdekit::mpi::Cluster, <sdekit/mpi.hpp>) with the same bits; null:
  /// this process runs them all. With it, progress reports the fraction done by all processes as known here.
  std::shared_ptr<ParticleDistribution> distribution;
};

/// What simulate_ensemble runs: the RunOptions fields (inherited, so `options.particles = …` works as before)
/// plus the time span, the step, the save times and the particles whose whole path is kept.
struct EnsembleOptions : RunOptions {
  double t0 = 0.0;                      ///< start time
  double t1 = 1.0;                      ///< end time
  double dt = 1e-2;                     ///< step (the last one is shortened to land on t1)
  std::vector<double> save_times;       ///< times at which every particle's state is kept; empty: t1 only
  std::vector<std::size_t> keep_paths;  ///< particles whose state is also recorded at every step
  /// The law of the increments: Gaussian (GaussianNoise's), or the discrete variables of DiscreteNoise for weak
  /// schemes.
  IncrementLaw increment_law = IncrementLaw::gaussian;
  /// How Lévy areas are drawn for steppers that need them (Gaussian law only), as GaussianNoise's `area`.
  LevyAreaAlgorithm levy_area = default_levy_area;
};

namespace detail {

/// Checks the RunOptions fields; throws std::invalid_argument naming the field.
inline void validate_run_options(const RunOptions& options, std::string_view where) {
  require(options.particles >= 1, where, "particles", options.particles, "must be at least 1");
  // Particle indices are one of the counter words of the random numbers.
  require(options.particles <= (std::size_t{1} << 32), where, "particles", options.particles, "must be at most 2^32");
  require(options.block_size >= 1, where, "block_size", options.block_size, "must be at least 1");
  require(options.threads >= 0, where, "threads", options.threads, "must be 0 (OpenMP default) or positive");
  require(options.threads <= max_threads, where, "threads", options.threads,
          "must be at most sdekit::max_threads = " + std::to_string(max_threads));
}

/// Checks an EnsembleOptions' own fields besides the RunOptions ones (the time grid checks t0, t1, dt, saves).
inline void validate_options(const EnsembleOptions& options, std::string_view where) {
  validate_run_options(options, where);
  for (std::size_t i = 0; i < options.keep_paths.size(); ++i)
    require(options.keep_paths[i] < options.particles, where, "keep_paths[" + std::to_string(i) + "]",
            options.keep_paths[i], "must be below particles = " + std::to_string(options.particles));
}

}  // namespace detail
}  // namespace sdekit
