#pragma once
// An ensemble run that keeps statistics only. Particles are run in leaves of statistics_leaf_size (each leaf by one
// thread, in sub-blocks of block_size, so each save's partial sees its particles in index order) and the leaves'
// partial statistics merge through PairwiseMerge in leaf order: the same additions and the same merge tree as the
// stored-state statistics, hence the same bits, for any thread count and block size. Exact quantiles then re-run
// the particles (their noise is a function of their index) in the passes of QuantileSearch.
#include <sdekit/core/time_grid.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/detail/for_each_block.hpp>
#include <sdekit/detail/quantile_search.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

namespace sdekit::detail {

/// Runs run_range(recorder, begin, end) over leaf `leaf`'s particles in sub-blocks of block_size, in order.
template <class Recorder, class RunRange>
void run_leaf(const RunOptions& options, std::size_t leaf, Recorder& recorder, RunRange& run_range,
              ProgressCounter& progress) {
  const std::size_t first = leaf * statistics_leaf_size;
  const std::size_t last = std::min(options.particles, first + statistics_leaf_size);
  for (std::size_t begin = first; begin < last; begin += options.block_size)
    run_range(recorder, begin, std::min(last, begin + options.block_size));
  progress.add(last - first);
}

/// The statistics-only ensemble: run_range(recorder, begin, end) runs particles [begin, end) into any recorder.
template <class X, class RunRange>
EnsembleResult<X> run_statistics_only(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension,
                                      RunRange&& run_range, const char* where) {
  const StatisticsOptions& requests = options.statistics;
  const std::size_t saves = grid.save_times().size();
  const std::size_t leaves = (options.particles + statistics_leaf_size - 1) / statistics_leaf_size;
  const SaveLookup lookup(grid);
  PathStore<X> paths(options.keep_paths, grid);
  EnsembleResult<X> result;
  result.particles = options.particles;
  result.dimension = dimension;
  result.statistics_only = true;
  result.save_times = grid.save_times();

  // Pass p of a run with quantiles reports progress in [1 − 2^−p, 1 − 2^−(p+1)]; without quantiles, in [0, 1].
  const bool search = !requests.quantiles.empty();
  auto share = [&](std::size_t pass) { return search ? 1.0 - std::ldexp(1.0, -static_cast<int>(pass)) : 0.0; };
  ProgressCounter progress(options.progress, options.particles, 0.0, search ? 0.5 : 1.0);
  PairwiseMerge<PartialStatistics> total;
  for_each_leaf<LeafRecorder<X>>(
      options, leaves,
      [&](std::size_t leaf) {
        LeafRecorder<X> recorder(requests, grid, lookup, paths, dimension);
        run_leaf(options, leaf, recorder, run_range, progress);
        return recorder;
      },
      [&](LeafRecorder<X>&& recorder) {
        total.push(std::move(recorder.partial));
        sort_failures(recorder.failures);
        for (auto& f : recorder.failures) result.failures.push_back(std::move(f));
      });
  const PartialStatistics all = std::move(total).finish(PartialStatistics(saves, dimension, requests));
  for (std::size_t s = 0; s < saves; ++s)
    result.statistics.push_back(all.saves[s].finish(result.save_times[s], requests));
  result.paths = paths.take();

  if (search) {
    QuantileSearch quantiles(requests, result.statistics);
    while (!quantiles.done()) {
      const std::size_t pass = quantiles.passes() + 1;
      ProgressCounter pass_progress(options.progress, options.particles, share(pass), share(pass + 1));
      QuantilePass found = quantiles.start_pass();
      for_each_leaf<QuantileRecorder<X>>(
          options, leaves,
          [&](std::size_t leaf) {
            QuantileRecorder<X> recorder(quantiles, lookup);
            run_leaf(options, leaf, recorder, run_range, pass_progress);
            return recorder;
          },
          [&](QuantileRecorder<X>&& recorder) { found.merge(recorder.pass); });
      quantiles.finish_pass(found, where);
    }
    quantiles.write(result.statistics);
    result.passes = 1 + quantiles.passes();
    if (options.progress) options.progress(1.0);
  }
  return result;
}

/// Runs an ensemble in the storage mode the options choose: run_range(recorder, begin, end) runs particles
/// [begin, end) into any recorder.
template <class X, class RunRange>
EnsembleResult<X> run_ensemble(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension,
                               RunRange&& run_range, const char* where) {
  validate_components(options.statistics, dimension, where);
  if (statistics_only(options, dimension, grid.save_times().size()))
    return run_statistics_only<X>(options, grid, dimension, run_range, where);
  EnsembleRecorder<X> recorder(options, grid, dimension);
  for_each_block(options, recorder, [&](std::size_t begin, std::size_t end) { run_range(recorder, begin, end); });
  return recorder.finish();
}

}  // namespace sdekit::detail
