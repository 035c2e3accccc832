#pragma once
// Where an ensemble's particles write: each particle's state at the save times into its own column, its kept path,
// and its failure; columns are disjoint, so particles on different threads record without locks.
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <Eigen/Core>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sdekit::detail {

/// Bytes an ensemble's result takes: one double per component, particle and save time, plus one index per particle.
inline double result_bytes(std::size_t particles, std::size_t saves, std::size_t dimension) {
  return static_cast<double>(particles) *
         (static_cast<double>(saves) * static_cast<double>(dimension) * sizeof(double) + sizeof(long));
}

/// The machine's physical memory in bytes, or 0 where it cannot be asked.
inline double physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return static_cast<double>(pages) * static_cast<double>(page);
#endif
  return 0.0;
}

/// Refuses, naming `particles`, a run whose result cannot fit in this machine's memory, before anything is
/// allocated (a std::bad_alloc later would not say why).
inline void check_result_memory(std::size_t particles, std::size_t saves, std::size_t dimension,
                                std::string_view where) {
  const double needed = result_bytes(particles, saves, dimension);
  const double available = physical_memory_bytes();
  require(available == 0.0 || needed <= available, where, "particles", particles,
          "needs " + to_text(needed / 1e9) + " GB for the result (" + std::to_string(saves) + " save times × " +
              std::to_string(dimension) + " components × 8 bytes per particle, plus 8), more than this machine's " +
              to_text(available / 1e9) + " GB of memory");
}

/// Collects each particle's saves, failures and kept path into the result; safe for concurrent particles.
template <class X>
class EnsembleRecorder {
 public:
  EnsembleRecorder(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension, std::string_view where)
      : grid_(grid),
        blocks_((options.particles + options.block_size - 1) / options.block_size),
        block_failures_(blocks_),
        block_size_(options.block_size),
        path_slot_(options.particles, -1),
        saves_from_(grid.steps() + 2, 0) {
    result_.particles = options.particles;
    result_.dimension = dimension;
    result_.save_times = grid.save_times();
    try {
      result_.values.assign(
          grid.save_times().size(),
          Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(dimension), static_cast<Eigen::Index>(options.particles),
                                    std::numeric_limits<double>::quiet_NaN()));
    } catch (const std::bad_alloc&) {
      throw_invalid(where, "particles", options.particles,
                    "needs " + to_text(result_bytes(options.particles, grid.save_times().size(), dimension) / 1e9) +
                        " GB for the result, which could not be allocated");
    }
    result_.paths.resize(options.keep_paths.size());
    for (std::size_t i = 0; i < options.keep_paths.size(); ++i) {
      result_.paths[i].index = options.keep_paths[i];
      if (path_slot_[options.keep_paths[i]] < 0) path_slot_[options.keep_paths[i]] = static_cast<long>(i);
    }
    // Saves at boundary k are save indices saves_from_[k] … saves_from_[k+1]−1: an O(1) lookup per step.
    for (std::size_t s = 0; s < grid.save_times().size(); ++s) ++saves_from_[grid.save_index(s) + 1];
    for (std::size_t k = 1; k < saves_from_.size(); ++k) saves_from_[k] += saves_from_[k - 1];
  }

  std::size_t blocks() const { return blocks_; }

  /// True when boundary k is a save time.
  bool saves_at(std::size_t k) const { return saves_from_[k + 1] > saves_from_[k]; }
  /// True when particle i's path is kept.
  bool keeps_path(std::size_t i) const { return path_slot_[i] >= 0; }

  /// Records particle i at step boundary k (saves and kept path).
  void record(std::size_t i, std::size_t k, const X& x) {
    for (std::size_t s = saves_from_[k]; s < saves_from_[k + 1]; ++s)
      for (std::size_t c = 0; c < result_.dimension; ++c)
        result_.values[s](static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(i)) = component(x, c);
    if (path_slot_[i] >= 0) {
      ParticlePath<X>& path = result_.paths[static_cast<std::size_t>(path_slot_[i])];
      if (path.times.empty()) {
        path.times.reserve(grid_.steps() + 1);
        path.states.reserve(grid_.steps() + 1);
      }
      path.times.push_back(grid_.time(k));
      path.states.push_back(x);
    }
  }

  /// Marks particle i failed during the step that starts at boundary k.
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) {
    block_failures_[i / block_size_].push_back({i, grid_.time(k), last_state, std::move(reason)});
  }

  /// Builds the result: failures in particle order, statistics per save time.
  EnsembleResult<X> finish() {
    // Within a block failures arrive in time order; each particle fails at most once, so sorting by index gives
    // the same list for any block size.
    for (auto& block : block_failures_)
      for (auto& f : block) result_.failures.push_back(std::move(f));
    std::sort(result_.failures.begin(), result_.failures.end(),
              [](const FailedParticle<X>& a, const FailedParticle<X>& b) { return a.index < b.index; });
    // Paths duplicated in keep_paths share the first slot's recording.
    for (std::size_t i = 0; i < result_.paths.size(); ++i) {
      const long slot = path_slot_[result_.paths[i].index];
      if (static_cast<std::size_t>(slot) != i) result_.paths[i] = result_.paths[static_cast<std::size_t>(slot)];
    }
    result_.statistics.resize(result_.save_times.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t s = 0; s < result_.save_times.size(); ++s) {
      const Moments m = column_moments(result_.values[s]);
      SaveStatistics& st = result_.statistics[s];
      st.time = result_.save_times[s];
      st.alive = m.count();
      st.mean = m.mean();
      st.covariance = m.covariance();
      st.variance = st.covariance.diagonal();
      st.min = m.min();
      st.max = m.max();
    }
    return std::move(result_);
  }

 private:
  const TimeGrid& grid_;
  std::size_t blocks_;
  std::vector<std::vector<FailedParticle<X>>> block_failures_;
  std::size_t block_size_;
  std::vector<long> path_slot_;
  std::vector<std::size_t> saves_from_;
  EnsembleResult<X> result_;
};

}  // namespace sdekit::detail
