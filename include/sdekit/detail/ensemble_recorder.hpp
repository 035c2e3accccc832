#pragma once
// Where an ensemble's particles write. EnsembleRecorder (stored states) puts each particle's state at the save
// times into its own column; LeafRecorder (statistics only) adds it to the partial statistics of its leaf of
// particles; QuantileRecorder feeds a re-simulation pass of the exact-quantile search. All share the save lookup
// and the kept paths; columns, leaves and path slots are disjoint, so particles on different threads need no locks.
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/detail/quantile_search.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit::detail {

/// A state's components as contiguous doubles (a double, or an Eigen vector's storage).
template <class X>
const double* state_data(const X& x) {
  if constexpr (std::is_arithmetic_v<X>) return &x;
  else return x.data();
}

/// Which saves fall on step boundary k: save indices first(k) … last(k) − 1, an O(1) lookup per step.
class SaveLookup {
 public:
  /// The lookup of `grid`'s save times.
  explicit SaveLookup(const TimeGrid& grid) : from_(grid.steps() + 2, 0) {
    for (std::size_t s = 0; s < grid.save_times().size(); ++s) ++from_[grid.save_index(s) + 1];
    for (std::size_t k = 1; k < from_.size(); ++k) from_[k] += from_[k - 1];
  }
  bool saves_at(std::size_t k) const { return from_[k + 1] > from_[k]; }  ///< true when boundary k is a save
  std::size_t first(std::size_t k) const { return from_[k]; }             ///< first save index at boundary k
  std::size_t last(std::size_t k) const { return from_[k + 1]; }          ///< one past the last

 private:
  std::vector<std::size_t> from_;
};

/// The kept paths (EnsembleOptions::keep_paths): a sorted lookup of their particles (memory O(kept), not O(N)).
template <class X>
class PathStore {
 public:
  PathStore(const std::vector<std::size_t>& keep, const TimeGrid& grid) : grid_(grid), paths_(keep.size()) {
    for (std::size_t i = 0; i < keep.size(); ++i) {
      paths_[i].index = keep[i];
      slots_.emplace_back(keep[i], i);
    }
    // Stable: a particle listed twice records into its first slot.
    std::stable_sort(slots_.begin(), slots_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  /// True when particle i's path is kept.
  bool keeps(std::size_t i) const { return slot(i) != none; }
  /// Appends x at boundary k to particle i's path, if it is kept.
  void record(std::size_t i, std::size_t k, const X& x) {
    if (slots_.empty()) return;
    const std::size_t s = slot(i);
    if (s == none) return;
    ParticlePath<X>& path = paths_[s];
    if (path.times.empty()) {
      path.times.reserve(grid_.steps() + 1);
      path.states.reserve(grid_.steps() + 1);
    }
    path.times.push_back(grid_.time(k));
    path.states.push_back(x);
  }
  /// The paths in keep_paths order (a particle listed twice gets its recording twice).
  std::vector<ParticlePath<X>> take() {
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      const std::size_t s = slot(paths_[i].index);
      if (s != i) paths_[i] = paths_[s];
    }
    return std::move(paths_);
  }

 private:
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::size_t slot(std::size_t i) const {
    auto it =
        std::lower_bound(slots_.begin(), slots_.end(), i, [](const auto& a, std::size_t v) { return a.first < v; });
    return it != slots_.end() && it->first == i ? it->second : none;
  }
  const TimeGrid& grid_;
  std::vector<ParticlePath<X>> paths_;
  std::vector<std::pair<std::size_t, std::size_t>> slots_;  // (particle, slot), sorted by particle
};

/// Failures in particle order: within a block or leaf they arrive in time order and each particle fails at most
/// once, so sorting by index gives the same list for any block size.
template <class X>
void sort_failures(std::vector<FailedParticle<X>>& failures) {
  std::sort(failures.begin(), failures.end(),
            [](const FailedParticle<X>& a, const FailedParticle<X>& b) { return a.index < b.index; });
}

/// Statistics of stored states: each save's columns in leaves of statistics_leaf_size, merged by PairwiseMerge,
/// exactly as LeafRecorder's partials are; quantiles from the sorted values.
SaveStatistics stored_statistics(const Eigen::MatrixXd& values, double time, const StatisticsOptions& options);

/// Collects each particle's saves, failures and kept path into the result (stored-state mode).
template <class X>
class EnsembleRecorder {
 public:
  EnsembleRecorder(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension)
      : options_(options.statistics),
        grid_(grid),
        blocks_((options.particles + options.block_size - 1) / options.block_size),
        block_failures_(blocks_),
        block_size_(options.block_size),
        saves_(grid),
        paths_(options.keep_paths, grid) {
    result_.particles = options.particles;
    result_.dimension = dimension;
    result_.save_times = grid.save_times();
    result_.values.assign(
        grid.save_times().size(),
        Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(dimension), static_cast<Eigen::Index>(options.particles),
                                  std::numeric_limits<double>::quiet_NaN()));
  }

  std::size_t blocks() const { return blocks_; }  ///< blocks of block_size particles

  bool saves_at(std::size_t k) const { return saves_.saves_at(k); }  ///< true when boundary k is a save time
  bool keeps_path(std::size_t i) const { return paths_.keeps(i); }   ///< true when particle i's path is kept

  /// Records particle i at step boundary k (saves and kept path).
  void record(std::size_t i, std::size_t k, const X& x) {
    for (std::size_t s = saves_.first(k); s < saves_.last(k); ++s)
      for (std::size_t c = 0; c < result_.dimension; ++c)
        result_.values[s](static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(i)) = component(x, c);
    paths_.record(i, k, x);
  }

  /// Marks particle i failed during the step that starts at boundary k.
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) {
    block_failures_[i / block_size_].push_back({i, grid_.time(k), last_state, std::move(reason)});
  }

  /// Builds the result: failures in particle order, statistics per save time.
  EnsembleResult<X> finish() {
    for (auto& block : block_failures_)
      for (auto& f : block) result_.failures.push_back(std::move(f));
    sort_failures(result_.failures);
    result_.paths = paths_.take();
    result_.statistics.resize(result_.save_times.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t s = 0; s < result_.save_times.size(); ++s)
      result_.statistics[s] = stored_statistics(result_.values[s], result_.save_times[s], options_);
    return std::move(result_);
  }

 private:
  const StatisticsOptions& options_;
  const TimeGrid& grid_;
  std::size_t blocks_;
  std::vector<std::vector<FailedParticle<X>>> block_failures_;
  std::size_t block_size_;
  SaveLookup saves_;
  PathStore<X> paths_;
  EnsembleResult<X> result_;
};

/// One leaf of a statistics-only run: the partial statistics of its particles (added in particle order), its
/// failures, and the kept paths (shared; slots are disjoint).
template <class X>
class LeafRecorder {
 public:
  LeafRecorder(const StatisticsOptions& options, const TimeGrid& grid, const SaveLookup& saves, PathStore<X>& paths,
               std::size_t dimension)
      : partial(grid.save_times().size(), dimension, options),
        options_(&options),
        grid_(&grid),
        saves_(&saves),
        paths_(&paths) {}

  bool saves_at(std::size_t k) const { return saves_->saves_at(k); }  ///< true when boundary k is a save time
  bool keeps_path(std::size_t i) const { return paths_->keeps(i); }   ///< true when particle i's path is kept

  /// Adds particle i's state at boundary k to the saves there, and to its path if kept.
  void record(std::size_t i, std::size_t k, const X& x) {
    for (std::size_t s = saves_->first(k); s < saves_->last(k); ++s) partial.saves[s].add(state_data(x), *options_);
    paths_->record(i, k, x);
  }
  /// Marks particle i failed during the step that starts at boundary k.
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) {
    failures.push_back({i, grid_->time(k), last_state, std::move(reason)});
  }

  PartialStatistics partial;                ///< this leaf's statistics
  std::vector<FailedParticle<X>> failures;  ///< this leaf's failures

 private:
  const StatisticsOptions* options_;
  const TimeGrid* grid_;
  const SaveLookup* saves_;
  PathStore<X>* paths_;
};

/// One leaf of a re-simulation pass of the exact-quantile search: only the saved values matter.
template <class X>
class QuantileRecorder {
 public:
  QuantileRecorder(const QuantileSearch& search, const SaveLookup& saves)
      : pass(search.start_pass()), search_(&search), saves_(&saves) {}

  bool saves_at(std::size_t k) const { return saves_->saves_at(k); }  ///< true when boundary k is a save time
  bool keeps_path(std::size_t) const { return false; }                ///< paths were recorded by the first pass
  /// Feeds particle i's state at boundary k to the search.
  void record(std::size_t, std::size_t k, const X& x) {
    for (std::size_t s = saves_->first(k); s < saves_->last(k); ++s) search_->add(pass, s, state_data(x));
  }
  /// Failures were recorded by the first pass.
  void fail(std::size_t, std::size_t, const X&, std::string) {}

  QuantilePass pass;  ///< this leaf's findings

 private:
  const QuantileSearch* search_;
  const SaveLookup* saves_;
};

}  // namespace sdekit::detail
