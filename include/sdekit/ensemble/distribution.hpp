#pragma once
// The seam through which an ensemble runs on several processes. The core knows only this interface; the MPI
// component (sdekit::mpi::Cluster, <sdekit/mpi.hpp>) implements it, so nothing in the core depends on MPI.
// The particles are cut into segments of whole statistics chunks (a power of two of them, aligned), each run by one
// process; every statistic is then merged in a tree fixed by the particle count alone, so the bits do not depend on
// which process ran which segment.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sdekit {

/// Where a distributed run leaves the particles' columns (EnsembleResult::values); statistics, failures and kept
/// paths are on every process in every case.
enum class Collect {
  root,  ///< all columns on the root process; the others keep none
  all,   ///< all columns on every process (what forecasts and other readers of every particle need)
  local  ///< each process keeps the columns of the particles it ran (for sdekit::mpi::quantile on large runs)
};

/// Spreads the particles of ensemble runs over processes. All processes call every member in the same order
/// (collectively), from the thread that called the ensemble entry point.
class ParticleDistribution {
 public:
  virtual ~ParticleDistribution() = default;
  /// This process's number, 0 … processes() − 1.
  virtual int rank() const = 0;
  /// The number of processes.
  virtual int processes() const = 0;
  /// Where the particles' columns go.
  virtual Collect collect() const = 0;
  /// Starts a run of `segments` segments of particles (collective).
  virtual void begin_run(std::size_t segments, std::size_t particles) = 0;
  /// The next segment this process runs; false when none is left for it.
  virtual bool next_segment(std::size_t& segment) = 0;
  /// Adds `particles` finished here and returns how many all processes have finished, as far as known here.
  virtual std::size_t finished(std::size_t particles) = 0;
  /// Waits until every process has run its segments (collective); true when any process reports `failed_here`, so
  /// that all of them stop together instead of some waiting forever for the others.
  virtual bool end_run(bool failed_here) = 0;
  /// Every process's bytes, in rank order, on every process (collective).
  virtual std::vector<std::string> all_gather(const std::string& mine) = 0;
  /// Every process's bytes, in rank order, on the root process; an empty list elsewhere (collective).
  virtual std::vector<std::string> gather_to_root(const std::string& mine) = 0;
  /// The sum over processes of an integer count, on every process (collective; integer sums have no rounding).
  virtual std::uint64_t sum(std::uint64_t mine) = 0;
  /// Particles per segment for a run of `particles` (a power of two times `chunk`, the statistics chunk).
  virtual std::size_t segment_size(std::size_t particles, std::size_t chunk) const = 0;
};

namespace detail {

/// The same processes, but every process gets every particle's column: for library functions that read all the
/// particles after the run (forecast bands, hitting times), whatever Collect the user chose for their own runs.
class CollectAll final : public ParticleDistribution {
 public:
  explicit CollectAll(std::shared_ptr<ParticleDistribution> inner) : inner_(std::move(inner)) {}
  int rank() const override { return inner_->rank(); }
  int processes() const override { return inner_->processes(); }
  Collect collect() const override { return Collect::all; }
  void begin_run(std::size_t segments, std::size_t particles) override { inner_->begin_run(segments, particles); }
  bool next_segment(std::size_t& segment) override { return inner_->next_segment(segment); }
  std::size_t finished(std::size_t particles) override { return inner_->finished(particles); }
  bool end_run(bool failed_here) override { return inner_->end_run(failed_here); }
  std::vector<std::string> all_gather(const std::string& mine) override { return inner_->all_gather(mine); }
  std::vector<std::string> gather_to_root(const std::string& mine) override { return inner_->gather_to_root(mine); }
  std::uint64_t sum(std::uint64_t mine) override { return inner_->sum(mine); }
  std::size_t segment_size(std::size_t particles, std::size_t chunk) const override {
    return inner_->segment_size(particles, chunk);
  }

 private:
  std::shared_ptr<ParticleDistribution> inner_;
};

/// `distribution` made to collect every column on every process (null stays null).
inline std::shared_ptr<ParticleDistribution> collecting_all(std::shared_ptr<ParticleDistribution> distribution) {
  if (!distribution || distribution->collect() == Collect::all) return distribution;
  return std::make_shared<CollectAll>(std::move(distribution));
}

}  // namespace detail
}  // namespace sdekit
