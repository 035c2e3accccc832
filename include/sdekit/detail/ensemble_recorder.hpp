#pragma once
// Where an ensemble's particles write: each particle's state at the save times into its own column, its kept path,
// and its failure; columns are disjoint, so particles on different threads record without locks. The particles are
// stored by segment (one segment of all particles in a single process; in a distributed run, the segments this
// process ran), and finish() merges the statistics in a tree fixed by the particle count alone.
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/detail/byte_stream.hpp>
#include <sdekit/ensemble/distribution.hpp>
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
  EnsembleRecorder(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension)
      : grid_(grid),
        distribution_(options.distribution.get()),
        particles_(options.particles),
        block_size_(options.block_size),
        // Segments of whole statistics chunks, a power of two of them, so each is a node of column_moments' tree.
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
  bool saves_at(std::size_t k) const { return saves_from_[k + 1] > saves_from_[k]; }
  /// True when particle i's path is kept.
  bool keeps_path(std::size_t i) const { return path_slot_[i] >= 0; }

  /// Records particle i at step boundary k (saves and kept path).
  void record(std::size_t i, std::size_t k, const X& x) {
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
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) {
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
    std::vector<std::vector<Moments>> nodes(saves);  // per save, one node of the merge tree per segment
    if (!distribution_) {
      result_.values = std::move(stored_.front().values);
      for (std::size_t s = 0; s < saves; ++s) nodes[s].push_back(column_moments(result_.values[s]));
    } else {
      exchange(nodes);
    }
    std::sort(result_.failures.begin(), result_.failures.end(),
              [](const FailedParticle<X>& a, const FailedParticle<X>& b) { return a.index < b.index; });
    // Paths duplicated in keep_paths share the first slot's recording.
    for (std::size_t i = 0; i < result_.paths.size(); ++i) {
      const long slot = path_slot_[result_.paths[i].index];
      if (static_cast<std::size_t>(slot) != i) result_.paths[i] = result_.paths[static_cast<std::size_t>(slot)];
    }
    result_.statistics.resize(saves);
    for (std::size_t s = 0; s < saves; ++s) {
      const Moments m = merge_pairwise(std::move(nodes[s]));
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
  struct Stored {
    std::size_t index = 0;                                       // segment number
    std::vector<Eigen::MatrixXd> values;                         // per save: dimension × segment particles
    std::vector<std::vector<FailedParticle<X>>> block_failures;  // per block of the segment
  };

  Stored& stored_of(std::size_t i) { return stored_[static_cast<std::size_t>(segment_slot_[i / segment_size_])]; }

  void put_state(ByteWriter& out, const X& x) const {
    for (std::size_t c = 0; c < result_.dimension; ++c) out.put(component(x, c));
  }
  X get_state(ByteReader& in) const {
    X x = make_state<X>(result_.dimension);
    for (std::size_t c = 0; c < result_.dimension; ++c) set_component(x, c, in.get<double>());
    return x;
  }

  // Every process sends every other one its segments' tree nodes, its failures and the kept paths it recorded;
  // then the particles' columns go where options.distribution asks. The bytes sent per save time do not grow with
  // the particles per process beyond one node per segment.
  void exchange(std::vector<std::vector<Moments>>& nodes) {
    const std::size_t saves = result_.save_times.size();
    const std::size_t d = result_.dimension;
    ByteWriter out;
    out.put(stored_.size());
    std::vector<double> packed;
    for (const Stored& seg : stored_) {
      out.put(seg.index);
      packed.clear();
      for (std::size_t s = 0; s < saves; ++s) column_moments(seg.values[s]).pack(packed);
      out.put_doubles(packed.data(), packed.size());
    }
    out.put(result_.failures.size());
    for (const FailedParticle<X>& f : result_.failures) {
      out.put(f.index);
      out.put(f.time);
      put_state(out, f.last_state);
      out.put_string(f.reason);
    }
    std::size_t recorded = 0;
    for (std::size_t i = 0; i < result_.paths.size(); ++i) recorded += !result_.paths[i].times.empty();
    out.put(recorded);
    for (std::size_t i = 0; i < result_.paths.size(); ++i) {
      const ParticlePath<X>& path = result_.paths[i];
      if (path.times.empty()) continue;
      out.put(i);
      out.put(path.times.size());
      out.put_doubles(path.times.data(), path.times.size());
      for (const X& x : path.states) put_state(out, x);
    }

    const std::vector<std::string> all = distribution_->all_gather(out.bytes());
    for (auto& list : nodes) list.assign(segments(), Moments(d));
    result_.failures.clear();
    const std::size_t node_size = Moments::packed_size(d);
    for (const std::string& bytes : all) {
      ByteReader in(bytes);
      const auto count = in.get<std::size_t>();
      for (std::size_t j = 0; j < count; ++j) {
        const auto index = in.get<std::size_t>();
        const std::vector<double> data = in.get_doubles(saves * node_size);
        for (std::size_t s = 0; s < saves; ++s) nodes[s][index] = Moments::unpack(data.data() + s * node_size, d);
      }
      const auto failures = in.get<std::size_t>();
      for (std::size_t j = 0; j < failures; ++j) {
        FailedParticle<X> f;
        f.index = in.get<std::size_t>();
        f.time = in.get<double>();
        f.last_state = get_state(in);
        f.reason = in.get_string();
        result_.failures.push_back(std::move(f));
      }
      const auto paths = in.get<std::size_t>();
      for (std::size_t j = 0; j < paths; ++j) {
        ParticlePath<X>& path = result_.paths[in.get<std::size_t>()];
        path.times = in.get_doubles(in.get<std::size_t>());
        path.states.clear();
        for (std::size_t t = 0; t < path.times.size(); ++t) path.states.push_back(get_state(in));
      }
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

}  // namespace sdekit::detail
