#pragma once
// Where an ensemble's particles write. EnsembleRecorder (stored states) puts each particle's state at the save
// times into its own column, stored by segment (one segment of all particles in a single process; in a distributed
// run, the segments this process ran); LeafRecorder (statistics only) adds it to the partial statistics of its leaf
// of particles; QuantileRecorder feeds a re-simulation pass of the exact-quantile search. Columns, leaves and path
// slots are disjoint, so particles on different threads need no locks. Every mode reduces the same partial
// statistics (SavePartial) over leaves of statistics_leaf_size particles through the one tree (PairwiseMerge): a
// segment is an aligned run of 2^j leaves, i.e. one node of that tree, so the bits do not depend on threads, block
// size, storage mode or processes.
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/detail/byte_stream.hpp>
#include <sdekit/detail/quantile_search.hpp>
#include <sdekit/detail/result_exchange.hpp>
#include <sdekit/ensemble/distribution.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>
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
#include <type_traits>
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

/// What a run of particles writes to, whichever the storage mode: EnsembleRecorder, LeafRecorder or
/// QuantileRecorder. The step loops see only this interface, so each is compiled once per call site rather than once
/// per recorder (three times the code, and about half of a test file's compile time); the calls are per particle and
/// save time, not per step.
template <class X>
class Recorder {
 public:
  /// True when boundary k is a save time.
  virtual bool saves_at(std::size_t k) const = 0;
  /// True when particle i's path is kept.
  virtual bool keeps_path(std::size_t i) const = 0;
  /// Records particle i at step boundary k (saves and kept path).
  virtual void record(std::size_t i, std::size_t k, const X& x) = 0;
  /// Marks particle i failed during the step that starts at boundary k.
  virtual void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) = 0;

 protected:
  Recorder() = default;
  Recorder(const Recorder&) = default;
  Recorder(Recorder&&) = default;
  Recorder& operator=(const Recorder&) = default;
  Recorder& operator=(Recorder&&) = default;
  ~Recorder() = default;
};

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

/// The partial statistics of stored states (one particle per column; a failed particle's column is all NaN): the
/// columns in leaves of statistics_leaf_size, merged by PairwiseMerge, exactly as LeafRecorder's partials are. Of
/// a whole segment of a distributed run, this is that segment's node of the tree.
SavePartial stored_partial(const Eigen::MatrixXd& values, const StatisticsOptions& options);

/// Appends to st.quantiles the requested quantiles of the stored values (all particles), from the sorted values.
void stored_quantiles(const Eigen::MatrixXd& values, SaveStatistics& st, const StatisticsOptions& options);

/// Statistics of stored states: stored_partial's statistics and stored_quantiles.
SaveStatistics stored_statistics(const Eigen::MatrixXd& values, double time, const StatisticsOptions& options);

/// Collects each particle's saves, failures and kept path into the result (stored-state mode); safe for concurrent
/// particles.
template <class X>
class EnsembleRecorder final : public Recorder<X> {
 public:
  EnsembleRecorder(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension)
      : options_(options.statistics),
        grid_(grid),
        distribution_(options.distribution.get()),
        particles_(options.particles),
        block_size_(options.block_size),
        // Segments of a power of two of whole leaves, so each is a node of the statistics' merge tree.
        segment_size_(distribution_ ? distribution_->segment_size(options.particles, moment_chunk) : options.particles),
        segment_slot_((options.particles + segment_size_ - 1) / segment_size_, -1),
        path_slot_(options.particles, -1),
        saves_from_(grid.steps() + 2, 0) {
    result_.particles = options.particles;
    result_.dimension = dimension;
    result_.save_times = grid.save_times();
    result_.paths.resize(options.keep_paths.size());
    for (std::size_t i = 0; i < options.keep_paths.size(); ++i) {
      result_.paths[i].index = options.keep_paths[i];
      if (path_slot_[options.keep_paths[i]] < 0) path_slot_[options.keep_paths[i]] = static_cast<long>(i);
    }
    // Saves at boundary k are save indices saves_from_[k] … saves_from_[k+1]−1: an O(1) lookup per step.
    for (std::size_t s = 0; s < grid.save_times().size(); ++s) ++saves_from_[grid.save_index(s) + 1];
    for (std::size_t k = 1; k < saves_from_.size(); ++k) saves_from_[k] += saves_from_[k - 1];
  }

  /// The number of segments of the run.
  std::size_t segments() const { return segment_slot_.size(); }
  /// The particles of segment j.
  ParticleRange segment(std::size_t j) const {
    return {j * segment_size_, std::min(particles_, (j + 1) * segment_size_)};
  }
  /// Makes room for segment j's particles; called before they run, from one thread.
  void open_segment(std::size_t j) {
    const ParticleRange range = segment(j);
    segment_slot_[j] = static_cast<long>(stored_.size());
    Stored& s = stored_.emplace_back();
    s.index = j;
    s.values.assign(result_.save_times.size(),
                    Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(result_.dimension),
                                              static_cast<Eigen::Index>(range.end - range.begin),
                                              std::numeric_limits<double>::quiet_NaN()));
    s.block_failures.resize((range.end - range.begin + block_size_ - 1) / block_size_);
  }

  /// True when boundary k is a save time.
  bool saves_at(std::size_t k) const override { return saves_from_[k + 1] > saves_from_[k]; }
  /// True when particle i's path is kept.
  bool keeps_path(std::size_t i) const override { return path_slot_[i] >= 0; }

  /// Records particle i at step boundary k (saves and kept path).
  void record(std::size_t i, std::size_t k, const X& x) override {
    if (saves_from_[k] < saves_from_[k + 1]) {
      Stored& seg = stored_of(i);
      const auto column = static_cast<Eigen::Index>(i - seg.index * segment_size_);
      for (std::size_t s = saves_from_[k]; s < saves_from_[k + 1]; ++s)
        for (std::size_t c = 0; c < result_.dimension; ++c)
          seg.values[s](static_cast<Eigen::Index>(c), column) = component(x, c);
    }
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
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) override {
    Stored& seg = stored_of(i);
    seg.block_failures[(i - seg.index * segment_size_) / block_size_].push_back(
        {i, grid_.time(k), last_state, std::move(reason)});
  }

  /// Builds the result: failures in particle order, statistics per save time (collective in a distributed run).
  EnsembleResult<X> finish() {
    // Within a block failures arrive in time order; each particle fails at most once, so sorting by index gives
    // the same list for any block size.
    for (auto& seg : stored_)
      for (auto& block : seg.block_failures)
        for (auto& f : block) result_.failures.push_back(std::move(f));
    const std::size_t saves = result_.save_times.size();
    result_.statistics.resize(saves);
    if (!distribution_) {
      result_.values = std::move(stored_.front().values);
#pragma omp parallel for schedule(dynamic, 1)
      for (std::size_t s = 0; s < saves; ++s)
        result_.statistics[s] = stored_statistics(result_.values[s], result_.save_times[s], options_);
    } else {
      std::vector<std::vector<SavePartial>> nodes(saves);  // per save, one node of the merge tree per segment
      exchange(nodes);
      for (std::size_t s = 0; s < saves; ++s) {
        PairwiseMerge<SavePartial> total;
        for (SavePartial& node : nodes[s]) total.push(std::move(node));
        result_.statistics[s] =
            std::move(total).finish(SavePartial(result_.dimension, options_)).finish(result_.save_times[s], options_);
        // Quantiles need every value: validate_run_options allows them only with Collect::all.
        if (!options_.quantiles.empty()) stored_quantiles(result_.values[s], result_.statistics[s], options_);
      }
    }
    std::sort(result_.failures.begin(), result_.failures.end(),
              [](const FailedParticle<X>& a, const FailedParticle<X>& b) { return a.index < b.index; });
    // Paths duplicated in keep_paths share the first slot's recording.
    for (std::size_t i = 0; i < result_.paths.size(); ++i) {
      const long slot = path_slot_[result_.paths[i].index];
      if (static_cast<std::size_t>(slot) != i) result_.paths[i] = result_.paths[static_cast<std::size_t>(slot)];
    }
    return std::move(result_);
  }

 private:
  struct Stored {
    std::size_t index = 0;                                       // segment number
    std::vector<Eigen::MatrixXd> values;                         // per save: dimension × segment particles
    std::vector<std::vector<FailedParticle<X>>> block_failures;  // per block of the segment
  };

  Stored& stored_of(std::size_t i) { return stored_[static_cast<std::size_t>(segment_slot_[i / segment_size_])]; }

  // Every process sends every other one its segments' tree nodes, its failures and the kept paths it recorded;
  // then the particles' columns go where options.distribution asks. The bytes sent per save time do not grow with
  // the particles per process beyond one node per segment.
  void exchange(std::vector<std::vector<SavePartial>>& nodes) {
    const std::size_t saves = result_.save_times.size();
    const std::size_t d = result_.dimension;
    ByteWriter out;
    out.put(stored_.size());
    std::vector<double> packed;
    for (const Stored& seg : stored_) {
      out.put(seg.index);
      packed.clear();
      for (std::size_t s = 0; s < saves; ++s) stored_partial(seg.values[s], options_).pack(packed);
      out.put_doubles(packed.data(), packed.size());
    }
    put_failures(out, result_.failures, d);
    put_recorded_paths(out, result_.paths, d);

    const std::vector<std::string> all = distribution_->all_gather(out.bytes());
    for (auto& list : nodes) list.assign(segments(), SavePartial(d, options_));
    result_.failures.clear();
    const std::size_t node_size = SavePartial::packed_size(d, options_);
    for (const std::string& bytes : all) {
      ByteReader in(bytes);
      const auto count = in.get<std::size_t>();
      for (std::size_t j = 0; j < count; ++j) {
        const auto index = in.get<std::size_t>();
        const std::vector<double> data = in.get_doubles(saves * node_size);
        for (std::size_t s = 0; s < saves; ++s)
          nodes[s][index] = SavePartial::unpack(data.data() + s * node_size, d, options_);
      }
      get_failures(in, result_.failures, d);
      get_recorded_paths(in, result_.paths, d);
    }
    collect_values();
  }

  void collect_values() {
    const std::size_t saves = result_.save_times.size();
    const auto d = static_cast<Eigen::Index>(result_.dimension);
    const Collect where = distribution_->collect();
    if (where == Collect::local) {
      Eigen::Index columns = 0;
      for (const Stored& seg : stored_) {
        const ParticleRange range = segment(seg.index);
        columns += static_cast<Eigen::Index>(range.end - range.begin);
        if (!result_.value_ranges.empty() && result_.value_ranges.back().end == range.begin)
          result_.value_ranges.back().end = range.end;
        else result_.value_ranges.push_back(range);
      }
      if (result_.value_ranges.empty()) result_.value_ranges.push_back({0, 0});
      result_.values.assign(saves, Eigen::MatrixXd(d, columns));
      Eigen::Index at = 0;
      for (const Stored& seg : stored_) {
        const Eigen::Index n = seg.values.empty() ? 0 : seg.values.front().cols();
        for (std::size_t s = 0; s < saves; ++s) result_.values[s].middleCols(at, n) = seg.values[s];
        at += n;
      }
      // A process that ran every particle holds them all, as a single process does.
      if (result_.value_ranges.front().begin == 0 && result_.value_ranges.front().end == particles_)
        result_.value_ranges.clear();
      return;
    }
    ByteWriter out;
    out.put(stored_.size());
    for (const Stored& seg : stored_) {
      out.put(seg.index);
      for (std::size_t s = 0; s < saves; ++s) out.put_doubles(seg.values[s].data(), seg.values[s].size());
    }
    stored_.clear();  // the columns now live in the message; do not hold them twice
    const std::vector<std::string> all =
        where == Collect::all ? distribution_->all_gather(out.bytes()) : distribution_->gather_to_root(out.bytes());
    if (all.empty()) {  // not the root of a Collect::root run
      result_.values.assign(saves, Eigen::MatrixXd(d, 0));
      result_.value_ranges.push_back({0, 0});
      return;
    }
    result_.values.assign(saves, Eigen::MatrixXd(d, static_cast<Eigen::Index>(particles_)));
    for (const std::string& bytes : all) {
      ByteReader in(bytes);
      const auto count = in.get<std::size_t>();
      for (std::size_t j = 0; j < count; ++j) {
        const ParticleRange range = segment(in.get<std::size_t>());
        const auto n = static_cast<Eigen::Index>(range.end - range.begin);
        for (std::size_t s = 0; s < saves; ++s)
          in.read_doubles(result_.values[s].middleCols(static_cast<Eigen::Index>(range.begin), n).data(),
                          static_cast<std::size_t>(d * n));
      }
    }
  }

  const StatisticsOptions& options_;
  const TimeGrid& grid_;
  ParticleDistribution* distribution_;
  std::size_t particles_;
  std::size_t block_size_;
  std::size_t segment_size_;
  std::vector<long> segment_slot_;  // segment number → position in stored_, −1 when another process runs it
  std::vector<Stored> stored_;
  std::vector<long> path_slot_;
  std::vector<std::size_t> saves_from_;
  EnsembleResult<X> result_;
};

/// One leaf of a statistics-only run: the partial statistics of its particles (added in particle order), its
/// failures, and the kept paths (shared; slots are disjoint).
template <class X>
class LeafRecorder final : public Recorder<X> {
 public:
  LeafRecorder(const StatisticsOptions& options, const TimeGrid& grid, const SaveLookup& saves, PathStore<X>& paths,
               std::size_t dimension)
      : partial(grid.save_times().size(), dimension, options),
        options_(&options),
        grid_(&grid),
        saves_(&saves),
        paths_(&paths) {}

  bool saves_at(std::size_t k) const override { return saves_->saves_at(k); }  ///< true when boundary k is a save time
  bool keeps_path(std::size_t i) const override { return paths_->keeps(i); }   ///< true when particle i's path is kept

  /// Adds particle i's state at boundary k to the saves there, and to its path if kept.
  void record(std::size_t i, std::size_t k, const X& x) override {
    for (std::size_t s = saves_->first(k); s < saves_->last(k); ++s) partial.saves[s].add(state_data(x), *options_);
    paths_->record(i, k, x);
  }
  /// Marks particle i failed during the step that starts at boundary k.
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) override {
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
class QuantileRecorder final : public Recorder<X> {
 public:
  QuantileRecorder(const QuantileSearch& search, const SaveLookup& saves)
      : pass(search.start_pass()), search_(&search), saves_(&saves) {}

  bool saves_at(std::size_t k) const override { return saves_->saves_at(k); }  ///< true when boundary k is a save time
  bool keeps_path(std::size_t) const override { return false; }                ///< paths were recorded by the first pass
  /// Feeds particle i's state at boundary k to the search.
  void record(std::size_t, std::size_t k, const X& x) override {
    for (std::size_t s = saves_->first(k); s < saves_->last(k); ++s) search_->add(pass, s, state_data(x));
  }
  /// Failures were recorded by the first pass.
  void fail(std::size_t, std::size_t, const X&, std::string) override {}

  QuantilePass pass;  ///< this leaf's findings

 private:
  const QuantileSearch* search_;
  const SaveLookup* saves_;
};

}  // namespace sdekit::detail
