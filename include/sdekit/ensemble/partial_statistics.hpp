#pragma once
// The mergeable partial results of ensemble statistics: everything a range of particles contributes at each save
// time (moments, histograms, reductions), as plain values with merge() in particle order. Both storage modes
// build the statistics from these, leaf by leaf (statistics_leaf_size particles) through PairwiseMerge, so they
// agree bit for bit; a distributed run packs each segment's node of that tree and merges the nodes the same way.
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <cstddef>
#include <vector>

namespace sdekit {

/// What a range of particles contributes at one save time.
struct SavePartial {
  Moments moments;                    ///< mean, comoments, min, max of the states
  std::vector<Histogram> histograms;  ///< one per StatisticsOptions::histograms
  std::vector<Moments> reductions;    ///< one-component moments of f(state), one per StatisticsOptions::reductions

  /// An empty partial for states of `dimension` components and the requests in `options`.
  SavePartial(std::size_t dimension, const StatisticsOptions& options);
  /// Adds one particle's state (`dimension` components); particles must come in index order for reproducibility.
  void add(const double* state, const StatisticsOptions& options);
  /// Adds the particles of `later`, which follow this partial's particles.
  void merge(const SavePartial& later);
  /// The statistics of the particles added (quantiles are left empty: they need the values themselves).
  SaveStatistics finish(double time, const StatisticsOptions& options) const;

  /// Doubles that pack() writes for `dimension` components and the requests in `options`.
  static std::size_t packed_size(std::size_t dimension, const StatisticsOptions& options);
  /// Appends the exact state (moments, histogram counts, reduction moments) to `out`, to send it to another
  /// process (counts are exact as doubles: they stay far below 2^53).
  void pack(std::vector<double>& out) const;
  /// The partial that pack() wrote at `data`, bit for bit.
  static SavePartial unpack(const double* data, std::size_t dimension, const StatisticsOptions& options);
};

/// What a range of particles contributes at every save time: one SavePartial per save.
struct PartialStatistics {
  std::vector<SavePartial> saves;  ///< one per save time

  /// Empty partials for `saves` save times.
  PartialStatistics(std::size_t saves, std::size_t dimension, const StatisticsOptions& options);
  /// Adds the particles of `later`, which follow this partial's particles.
  void merge(const PartialStatistics& later);
};

}  // namespace sdekit
