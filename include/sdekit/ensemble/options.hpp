#pragma once
// Options of ensemble runs. RunOptions holds what every particle run has (how many particles, the seed, how the
// work is split over threads, progress); EnsembleOptions adds the time grid of simulate_ensemble. Samplers and
// forecasts derive their options from RunOptions too, so the whole slice reaches the engine unchanged.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise_law.hpp>
#include <sdekit/ensemble/distribution.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// How OpenMP hands out blocks of particles to threads; results do not depend on it.
enum class Schedule { static_blocks, dynamic_blocks };

/// The most OpenMP threads a run may ask for; more is refused (libgomp crashes creating 10^6 threads).
inline constexpr int max_threads = 1024;

/// Where an ensemble's statistics come from; the statistics are bitwise the same in both modes.
enum class Storage {
  states,           ///< keep every particle's state at every save time (8·N·dimension bytes per save), the default
  statistics_only,  ///< keep only the statistics: memory O(saves × (dimension² + bins)), independent of N
  automatic,        ///< statistics_only when the states would need more than StatisticsOptions::automatic_limit_bytes
};

/// A histogram of one component at every save time: `bins` equal-width bins over [lo, hi).
struct HistogramRequest {
  std::size_t component = 0;  ///< the state component
  std::size_t bins = 100;     ///< number of bins
  double lo = 0.0;            ///< left edge of the first bin
  double hi = 1.0;            ///< right edge of the last bin
};

/// A user-defined reduction: the mean (with its standard error), variance, min and max of f(state) at every save
/// time, e.g. a payoff, or an indicator 1{X > threshold} whose mean is a rare-event probability.
struct ReductionRequest {
  std::string name;                                  ///< a label, copied to the result
  std::function<double(std::span<const double>)> f;  ///< f(state components); called once per particle and save
};

/// An exact quantile of one component at every save time (Hyndman–Fan type 7, as EnsembleResult::quantile).
struct QuantileRequest {
  std::size_t component = 0;  ///< the state component
  double q = 0.5;             ///< the probability, in [0, 1]
};

/// What an ensemble computes besides mean, covariance, min and max, and where it keeps the states.
struct StatisticsOptions {
  Storage storage = Storage::states;  ///< stored states (default) or statistics only
  /// Storage::automatic switches to statistics_only when 8·particles·dimension·saves exceeds this (1 GiB).
  std::size_t automatic_limit_bytes = std::size_t{1} << 30;
  std::vector<HistogramRequest> histograms;  ///< histograms per save time
  std::vector<ReductionRequest> reductions;  ///< reductions per save time
  /// Exact quantiles per save time. In statistics_only mode each needs extra passes that re-simulate the
  /// particles (a particle's noise is a function of its index): one that histograms the values into
  /// quantile_bins bins, and one that collects the values of the bin holding the quantile once at most
  /// quantile_capacity values fall there; the result equals the stored-state quantile bit for bit.
  std::vector<QuantileRequest> quantiles;
  std::size_t quantile_bins = 4096;          ///< bins per narrowing pass (at least 2)
  std::size_t quantile_capacity = 1u << 20;  ///< values collected per quantile in the last pass (at least 1)
  std::size_t quantile_max_passes = 16;      ///< limit on re-simulation passes; exceeding it throws
};

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
  StatisticsOptions statistics;  ///< statistics requested and the storage mode
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
  const StatisticsOptions& st = options.statistics;
  for (std::size_t i = 0; i < st.histograms.size(); ++i) {
    const HistogramRequest& h = st.histograms[i];
    const std::string name = "statistics.histograms[" + std::to_string(i) + "]";
    require(h.bins >= 1, where, name + ".bins", h.bins, "must be at least 1");
    require(std::isfinite(h.lo) && std::isfinite(h.hi) && h.hi > h.lo, where, name + ".hi", h.hi,
            "must be finite and above lo = " + to_text(h.lo));
  }
  for (std::size_t i = 0; i < st.reductions.size(); ++i)
    require(static_cast<bool>(st.reductions[i].f), where, "statistics.reductions[" + std::to_string(i) + "].f", "empty",
            "must be a callable f(state)");
  for (std::size_t i = 0; i < st.quantiles.size(); ++i)
    require(st.quantiles[i].q >= 0.0 && st.quantiles[i].q <= 1.0, where,
            "statistics.quantiles[" + std::to_string(i) + "].q", st.quantiles[i].q, "must lie in [0, 1]");
  require(st.quantile_bins >= 2, where, "statistics.quantile_bins", st.quantile_bins, "must be at least 2");
  require(st.quantile_capacity >= 1, where, "statistics.quantile_capacity", st.quantile_capacity, "must be at least 1");
  require(st.quantile_max_passes >= 1, where, "statistics.quantile_max_passes", st.quantile_max_passes,
          "must be at least 1");
  // Checked before anything runs, with the same answer on every process, so none of them waits for the others.
  // A stored-state run computes quantiles from the columns, so every process needs them all; statistics-only runs
  // find them by re-simulation passes on every process instead.
  if (options.distribution && st.storage == Storage::states)
    require(st.quantiles.empty() || options.distribution->collect() == Collect::all, where, "statistics.quantiles",
            st.quantiles.size(), "need every particle's value on every process: use Collect::all with a distribution");
}

/// Checks the requested components against the state's dimension (known once particle 0's state is made).
inline void validate_components(const StatisticsOptions& st, std::size_t dimension, std::string_view where) {
  for (std::size_t i = 0; i < st.histograms.size(); ++i)
    require(st.histograms[i].component < dimension, where, "statistics.histograms[" + std::to_string(i) + "].component",
            st.histograms[i].component, "must be below the dimension " + std::to_string(dimension));
  for (std::size_t i = 0; i < st.quantiles.size(); ++i)
    require(st.quantiles[i].component < dimension, where, "statistics.quantiles[" + std::to_string(i) + "].component",
            st.quantiles[i].component, "must be below the dimension " + std::to_string(dimension));
}

/// True when the run keeps only statistics (Storage::automatic decides from the memory the states would need, the
/// same on every process of a distributed run).
inline bool statistics_only(const RunOptions& options, std::size_t dimension, std::size_t saves) {
  if (options.statistics.storage != Storage::automatic) return options.statistics.storage == Storage::statistics_only;
  // Stored states could not answer quantiles unless every process gets every column.
  if (options.distribution && !options.statistics.quantiles.empty() &&
      options.distribution->collect() != Collect::all)
    return true;
  const double bytes =
      8.0 * static_cast<double>(options.particles) * static_cast<double>(dimension) * static_cast<double>(saves);
  return bytes > static_cast<double>(options.statistics.automatic_limit_bytes);
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
