#pragma once
// What an ensemble run returns: statistics per save time, every particle's state at each save time (unless the run
// kept statistics only), the failed particles and the kept paths, with lookups of a save by its time and of a
// component's values.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// Statistics of a user-defined reduction f(state) over the particles alive at one save time.
struct ReductionStatistics {
  std::string name;             ///< the ReductionRequest's name
  std::size_t count = 0;        ///< particles it is based on
  double mean = 0.0;            ///< mean of f
  double variance = 0.0;        ///< unbiased sample variance of f
  double standard_error = 0.0;  ///< sqrt(variance / count): the Monte Carlo error of mean
  double min = 0.0;             ///< smallest f
  double max = 0.0;             ///< largest f
};

/// Statistics of the particles alive at one save time.
struct SaveStatistics {
  double time = 0.0;                            ///< the save time
  std::size_t alive = 0;                        ///< particles the statistics are based on
  Eigen::VectorXd mean;                         ///< sample mean per component
  Eigen::VectorXd variance;                     ///< unbiased sample variance per component
  Eigen::MatrixXd covariance;                   ///< unbiased sample covariance
  Eigen::VectorXd min;                          ///< componentwise minimum
  Eigen::VectorXd max;                          ///< componentwise maximum
  std::vector<Histogram> histograms;            ///< one per StatisticsOptions::histograms, in that order
  std::vector<ReductionStatistics> reductions;  ///< one per StatisticsOptions::reductions, in that order
  std::vector<double> quantiles;  ///< one per StatisticsOptions::quantiles (exact; NaN when no particle is alive)
  /// Standard error of the mean per component, sqrt(variance / alive).
  Eigen::VectorXd standard_error() const { return (variance / static_cast<double>(alive)).cwiseSqrt(); }
};

/// A particle that was stopped: its index, the time of its last valid state, that state, and why.
template <class X>
struct FailedParticle {
  std::size_t index = 0;  ///< particle index
  double time = 0.0;      ///< time of last_state (the start of the step that failed)
  X last_state{};         ///< the last finite, in-domain state
  std::string reason;     ///< "non-finite state", "left the domain", or the message of an exception
};

/// The state of one particle at every step.
template <class X>
struct ParticlePath {
  std::size_t index = 0;      ///< particle index
  std::vector<double> times;  ///< step boundaries reached while the particle was valid
  std::vector<X> states;      ///< the state at each of those times
};

/// A range [begin, end) of particle indices.
struct ParticleRange {
  std::size_t begin = 0;  ///< first particle
  std::size_t end = 0;    ///< one past the last particle
};

/// What an ensemble returns: statistics and every particle's state at each save time, failures, kept paths.
template <class X>
struct EnsembleResult {
  std::size_t particles = 0;               ///< N
  std::size_t dimension = 0;               ///< components per state
  bool statistics_only = false;            ///< true when the states were not kept (Storage::statistics_only)
  std::size_t passes = 1;                  ///< simulation passes run (more than 1 for exact quantiles without states)
  std::vector<double> save_times;          ///< the save times
  std::vector<SaveStatistics> statistics;  ///< one per save time
  /// One matrix per save time: dimension × particles, column i the state of particle i (NaN once it failed);
  /// empty when statistics_only.
  std::vector<Eigen::MatrixXd> values;
  /// Empty when `values` holds every particle; otherwise the particles whose columns it holds, in order (on the
  /// processes of a distributed run with sdekit::Collect::root, one empty range on all but the root; with local, the
  /// process's own particles).
  std::vector<ParticleRange> value_ranges;
  std::vector<FailedParticle<X>> failures;  ///< in particle order
  std::vector<ParticlePath<X>> paths;       ///< in the order of EnsembleOptions::keep_paths

  /// The index of save time t (the first, if t is saved twice). t must equal a save time up to a relative 1e-9,
  /// so that a time computed as t0 + k·dt finds its save; otherwise throws std::invalid_argument naming "t".
  std::size_t save_index(double t) const {
    for (std::size_t s = 0; s < save_times.size(); ++s)
      if (std::abs(save_times[s] - t) <= 1e-9 * std::max(std::abs(save_times[s]), std::abs(t))) return s;
    std::string listed = "(";
    for (std::size_t s = 0; s < save_times.size(); ++s) listed += (s ? ", " : "") + detail::to_text(save_times[s]);
    detail::throw_invalid("sdekit::EnsembleResult::save_index", "t", t,
                          "is not a save time; the save times are " + listed + ")");
  }
  /// Statistics at save time t (see save_index for how t is matched).
  const SaveStatistics& at(double t) const { return statistics.at(save_index(t)); }

  /// True when `values` holds every particle's column (always, except on processes of a distributed run).
  bool holds_all_values() const { return value_ranges.empty(); }

  /// Component `component` of every particle at save time `save` (NaN for failed particles).
  std::vector<double> component_values(std::size_t save, std::size_t component = 0) const {
    check_values("sdekit::EnsembleResult::component_values");
    check_save(save, "sdekit::EnsembleResult::component_values");
    check_component(component, "sdekit::EnsembleResult::component_values");
    const Eigen::MatrixXd& v = values[save];
    std::vector<double> out(static_cast<std::size_t>(v.cols()));
    for (Eigen::Index j = 0; j < v.cols(); ++j)
      out[static_cast<std::size_t>(j)] = v(static_cast<Eigen::Index>(component), j);
    return out;
  }
  /// The exact q-quantile of a component over the particles alive at save time `save`.
  double quantile(std::size_t save, std::size_t component, double q) const {
    check_values("sdekit::EnsembleResult::quantile");
    check_save(save, "sdekit::EnsembleResult::quantile");
    check_component(component, "sdekit::EnsembleResult::quantile");
    return sdekit::quantile(component_values(save, component), q);
  }
  /// A histogram of a component over the particles alive at save time `save`.
  Histogram histogram(std::size_t save, std::size_t component, std::size_t bins, double lo, double hi) const {
    check_values("sdekit::EnsembleResult::histogram");
    check_save(save, "sdekit::EnsembleResult::histogram");
    check_component(component, "sdekit::EnsembleResult::histogram");
    return sdekit::histogram(component_values(save, component), bins, lo, hi);
  }
  /// The states of the particles alive at save time `save`, in particle order.
  std::vector<X> states(std::size_t save) const {
    check_values("sdekit::EnsembleResult::states");
    check_save(save, "sdekit::EnsembleResult::states");
    const Eigen::MatrixXd& v = values[save];
    std::vector<X> out;
    out.reserve(static_cast<std::size_t>(v.cols()));
    for (Eigen::Index j = 0; j < v.cols(); ++j) {
      if (v.col(j).hasNaN()) continue;
      X x = make_state<X>(dimension);
      for (std::size_t c = 0; c < dimension; ++c) set_component(x, c, v(static_cast<Eigen::Index>(c), j));
      out.push_back(x);
    }
    return out;
  }

 private:
  // Indices are checked here because Eigen's element access is unchecked in release builds: a bad component
  // would read past the matrix.
  void check_values(std::string_view where) const {
    detail::require(!statistics_only, where, "options.statistics.storage", "statistics_only",
                    "keeps no states: request histograms and quantiles in options.statistics instead");
  }
  void check_save(std::size_t save, std::string_view where) const {
    // A process of a distributed run may hold only some columns: a statistic of those would be silently wrong.
    if (!holds_all_values())
      detail::throw_invalid(where, "values held", value_ranges.size(),
                            "ranges: this process does not hold every particle's column (a distributed run with "
                            "sdekit::Collect::root or local); use Collect::all, the root, or sdekit::mpi::quantile");
    detail::require(save < values.size(), where, "save", save,
                    "must be below the number of save times " + std::to_string(values.size()));
  }
  void check_component(std::size_t component, std::string_view where) const {
    detail::require(component < dimension, where, "component", component,
                    "must be below the dimension " + std::to_string(dimension));
  }
};

}  // namespace sdekit
