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
#include <sdekit/detail/result_exchange.hpp>
#include <sdekit/ensemble/distribution.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sdekit::detail {

/// A run_range(recorder, begin, end) that runs particles [begin, end) into any Recorder<X>, by reference and with
/// its type erased: the machinery below is compiled once per state type, not once per run_range (one per call site
/// of simulate_ensemble and the samplers). One indirect call per block.
template <class X>
class RunRangeRef {
 public:
  /// Refers to f, which must outlive this reference.
  template <class RunRange>
  explicit RunRangeRef(const RunRange& f)
      : object_(&f), call_([](const void* object, Recorder<X>& recorder, std::size_t begin, std::size_t end) {
          (*static_cast<const RunRange*>(object))(recorder, begin, end);
        }) {}
  /// Runs particles [begin, end) into recorder.
  void operator()(Recorder<X>& recorder, std::size_t begin, std::size_t end) const {
    call_(object_, recorder, begin, end);
  }

 private:
  const void* object_;
  void (*call_)(const void*, Recorder<X>&, std::size_t, std::size_t);
};

/// Runs run_range(recorder, begin, end) over leaf `leaf`'s particles in sub-blocks of block_size, in order.
template <class X>
void run_leaf(const RunOptions& options, std::size_t leaf, Recorder<X>& recorder, const RunRangeRef<X>& run_range,
              ProgressCounter& progress) {
  const std::size_t first = leaf * statistics_leaf_size;
  const std::size_t last = std::min(options.particles, first + statistics_leaf_size);
  for (std::size_t begin = first; begin < last; begin += options.block_size)
    run_range(recorder, begin, std::min(last, begin + options.block_size));
  progress.add(last - first);
}

/// A run of leaves [first, last): the whole ensemble in one process, or one segment of a distributed run.
struct LeafRange {
  std::size_t first = 0;  ///< first leaf
  std::size_t last = 0;   ///< one past the last leaf
};

/// Calls run(leaves) → T for the whole ensemble, or, in a distributed run, for each segment this process runs, and
/// returns the (segment, T) pairs. Every process reaches end_run, also one whose segment threw, so none waits
/// forever; an exception anywhere is thrown on every process.
template <class T, class Run>
std::vector<std::pair<std::size_t, T>> run_segments(const RunOptions& options, ProgressCounter& progress, Run&& run) {
  const std::size_t leaves = (options.particles + statistics_leaf_size - 1) / statistics_leaf_size;
  std::vector<std::pair<std::size_t, T>> done;
  ParticleDistribution* distribution = options.distribution.get();
  if (!distribution) {
    done.emplace_back(0, run(LeafRange{0, leaves}));
    return done;
  }
  const std::size_t segment_leaves =
      distribution->segment_size(options.particles, statistics_leaf_size) / statistics_leaf_size;
  std::exception_ptr error;
  distribution->begin_run((leaves + segment_leaves - 1) / segment_leaves, options.particles);
  std::size_t segment = 0;
  while (!error && distribution->next_segment(segment)) {
    try {
      const LeafRange range{segment * segment_leaves, std::min(leaves, (segment + 1) * segment_leaves)};
      done.emplace_back(segment, run(range));
      const std::size_t last_particle = std::min(options.particles, range.last * statistics_leaf_size);
      progress.set_done(distribution->finished(last_particle - range.first * statistics_leaf_size));
    } catch (...) {
      error = std::current_exception();
    }
  }
  const bool any_failed = distribution->end_run(error != nullptr);
  if (error) std::rethrow_exception(error);
  if (any_failed) throw std::runtime_error("sdekit: another process of the distributed ensemble failed");
  return done;
}

/// Writes a re-simulation pass's findings (order-free: counts and extremes per bin, or the values collected).
inline void put_quantile_pass(ByteWriter& out, const QuantilePass& pass) {
  for (const OrderStatisticPass& t : pass.targets) {
    out.put(t.counts.size());
    for (std::size_t c : t.counts) out.put(c);
    out.put_doubles(t.mins.data(), t.mins.size());
    out.put_doubles(t.maxs.data(), t.maxs.size());
    out.put(t.values.size());
    out.put_doubles(t.values.data(), t.values.size());
  }
}

/// Reads the findings put_quantile_pass wrote into the shape of `pass` (a start_pass() of the same search).
inline QuantilePass get_quantile_pass(ByteReader& in, QuantilePass pass) {
  for (OrderStatisticPass& t : pass.targets) {
    const auto bins = in.get<std::size_t>();
    if (bins != t.counts.size()) throw std::length_error("sdekit: a distributed quantile pass has another shape");
    for (std::size_t& c : t.counts) c = in.get<std::size_t>();
    in.read_doubles(t.mins.data(), bins);
    in.read_doubles(t.maxs.data(), bins);
    t.values = in.get_doubles(in.get<std::size_t>());
  }
  return pass;
}

/// The statistics-only ensemble: run_range(recorder, begin, end) runs particles [begin, end) into any recorder. In
/// a distributed run each process reduces its segments (aligned runs of 2^j leaves, i.e. nodes of the merge tree)
/// and every process merges all nodes in segment order: the same tree, so the same bits as one process.
template <class X>
EnsembleResult<X> run_statistics_only(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension,
                                      const RunRangeRef<X>& run_range, const char* where) {
  const StatisticsOptions& requests = options.statistics;
  const std::size_t saves = grid.save_times().size();
  const SaveLookup lookup(grid);
  PathStore<X> paths(options.keep_paths, grid);
  EnsembleResult<X> result;
  result.particles = options.particles;
  result.dimension = dimension;
  result.statistics_only = true;
  result.save_times = grid.save_times();
  ParticleDistribution* distribution = options.distribution.get();

  // Pass p of a run with quantiles reports progress in [1 − 2^−p, 1 − 2^−(p+1)]; without quantiles, in [0, 1].
  const bool search = !requests.quantiles.empty();
  auto share = [&](std::size_t pass) { return search ? 1.0 - std::ldexp(1.0, -static_cast<int>(pass)) : 0.0; };
  ProgressCounter progress(options.progress, options.particles, 0.0, search ? 0.5 : 1.0);
  std::vector<FailedParticle<X>> failures;
  auto reduce = [&](LeafRange leaves) {
    PairwiseMerge<PartialStatistics> node;
    for_each_leaf<LeafRecorder<X>>(
        options, leaves.last - leaves.first,
        [&](std::size_t j) {
          LeafRecorder<X> recorder(requests, grid, lookup, paths, dimension);
          run_leaf(options, leaves.first + j, recorder, run_range, progress);
          return recorder;
        },
        [&](LeafRecorder<X>&& recorder) {
          node.push(std::move(recorder.partial));
          for (auto& f : recorder.failures) failures.push_back(std::move(f));
        });
    return std::move(node).finish(PartialStatistics(saves, dimension, requests));
  };
  auto mine = run_segments<PartialStatistics>(options, progress, reduce);
  result.paths = paths.take();
  PairwiseMerge<PartialStatistics> total;
  if (!distribution) {
    total.push(std::move(mine.front().second));
  } else {
    // Every process sends its segments' nodes, failures and recorded paths to every other one.
    ByteWriter out;
    out.put(mine.size());
    std::vector<double> packed;
    for (const auto& [segment, node] : mine) {
      out.put(segment);
      packed.clear();
      for (const SavePartial& save : node.saves) save.pack(packed);
      out.put_doubles(packed.data(), packed.size());
    }
    put_failures(out, failures, dimension);
    put_recorded_paths(out, result.paths, dimension);
    failures.clear();
    const std::size_t node_size = SavePartial::packed_size(dimension, requests);
    std::vector<std::optional<PartialStatistics>> nodes;
    for (const std::string& bytes : distribution->all_gather(out.bytes())) {
      ByteReader in(bytes);
      const auto count = in.get<std::size_t>();
      for (std::size_t j = 0; j < count; ++j) {
        const auto segment = in.get<std::size_t>();
        const std::vector<double> data = in.get_doubles(saves * node_size);
        if (segment >= nodes.size()) nodes.resize(segment + 1);
        PartialStatistics& node = nodes[segment].emplace(0, dimension, requests);
        for (std::size_t s = 0; s < saves; ++s)
          node.saves.push_back(SavePartial::unpack(data.data() + s * node_size, dimension, requests));
      }
      get_failures(in, failures, dimension);
      get_recorded_paths(in, result.paths, dimension);
    }
    for (auto& node : nodes) {
      if (!node) throw std::length_error("sdekit: a segment of the distributed ensemble is missing");
      total.push(std::move(*node));
    }
  }
  sort_failures(failures);
  result.failures = std::move(failures);
  const PartialStatistics all = std::move(total).finish(PartialStatistics(saves, dimension, requests));
  for (std::size_t s = 0; s < saves; ++s)
    result.statistics.push_back(all.saves[s].finish(result.save_times[s], requests));

  if (search) {
    QuantileSearch quantiles(requests, result.statistics);
    while (!quantiles.done()) {
      const std::size_t pass = quantiles.passes() + 1;
      ProgressCounter pass_progress(options.progress, options.particles, share(pass), share(pass + 1));
      auto collect = [&](LeafRange leaves) {
        QuantilePass found = quantiles.start_pass();
        for_each_leaf<QuantileRecorder<X>>(
            options, leaves.last - leaves.first,
            [&](std::size_t j) {
              QuantileRecorder<X> recorder(quantiles, lookup);
              run_leaf(options, leaves.first + j, recorder, run_range, pass_progress);
              return recorder;
            },
            [&](QuantileRecorder<X>&& recorder) { found.merge(recorder.pass); });
        return found;
      };
      auto findings = run_segments<QuantilePass>(options, pass_progress, collect);
      QuantilePass found = quantiles.start_pass();
      if (!distribution) {
        found = std::move(findings.front().second);
      } else {
        // Findings merge in any order (counts, extremes, and values sorted later): no tree is needed.
        ByteWriter out;
        out.put(findings.size());
        for (const auto& segment : findings) put_quantile_pass(out, segment.second);
        for (const std::string& bytes : distribution->all_gather(out.bytes())) {
          ByteReader in(bytes);
          const auto count = in.get<std::size_t>();
          for (std::size_t j = 0; j < count; ++j) found.merge(get_quantile_pass(in, quantiles.start_pass()));
        }
      }
      quantiles.finish_pass(found, where);
    }
    quantiles.write(result.statistics);
    result.passes = 1 + quantiles.passes();
  }
  // The counters stop at their share of a pass set; a distributed run's end is known only now. A callback that
  // throws now is not rethrown (the other processes have returned already).
  if (options.progress && (search || distribution)) {
    try {
      options.progress(1.0);
    } catch (...) {
      if (!distribution) throw;
    }
  }
  return result;
}

/// run_ensemble with run_range's type erased.
template <class X>
EnsembleResult<X> run_ensemble_erased(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension,
                                      const RunRangeRef<X>& run_range, const char* where) {
  validate_components(options.statistics, dimension, where);
  if (statistics_only(options, dimension, grid.save_times().size()))
    return run_statistics_only<X>(options, grid, dimension, run_range, where);
  EnsembleRecorder<X> recorder(options, grid, dimension);
  for_each_block(options, recorder, [&](std::size_t begin, std::size_t end) { run_range(recorder, begin, end); });
  return recorder.finish();
}

// The common state types are compiled once, in the library (lib/ensemble/run_ensemble.cpp), not in every file that
// runs an ensemble.
#define SDEKIT_RUN_ENSEMBLE_INSTANCE(X)                                                                      \
  extern template EnsembleResult<X> run_ensemble_erased<X>(const EnsembleOptions&, const TimeGrid&, std::size_t, \
                                                           const RunRangeRef<X>&, const char*);
SDEKIT_RUN_ENSEMBLE_INSTANCE(double)
SDEKIT_RUN_ENSEMBLE_INSTANCE(Eigen::Vector2d)
SDEKIT_RUN_ENSEMBLE_INSTANCE(Eigen::Vector3d)
SDEKIT_RUN_ENSEMBLE_INSTANCE(Eigen::VectorXd)
#undef SDEKIT_RUN_ENSEMBLE_INSTANCE

/// Runs an ensemble in the storage mode the options choose: run_range(recorder, begin, end) runs particles
/// [begin, end) into a Recorder<X>& (instantiated for that one type, whatever the mode).
template <class X, class RunRange>
EnsembleResult<X> run_ensemble(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension,
                               const RunRange& run_range, const char* where) {
  return run_ensemble_erased<X>(options, grid, dimension, RunRangeRef<X>(run_range), where);
}

}  // namespace sdekit::detail
