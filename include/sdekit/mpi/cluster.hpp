#pragma once
// Ensembles across processes with MPI (component sdekit::mpi). A Cluster put in RunOptions::distribution makes every
// ensemble entry point (simulate_ensemble, simulate_process_ensemble, SSA and tau-leaping, the diffusion samplers,
// forecasts) run its particles on all processes of a communicator, OpenMP threads inside each, with results bitwise
// equal to the single-process run: particle i's path is a pure function of (seed, i), and every statistic is merged
// in a tree fixed by the particle count alone. All processes call the entry point together (it is collective).
#include <sdekit/ensemble/distribution.hpp>

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sdekit::mpi {

/// How segments of particles are handed to processes; results do not depend on it.
enum class Balance {
  static_segments,  ///< segment j to process j mod P: no messages while running, for particles of equal cost
  dynamic_segments  ///< each process takes the next segment when it is free (an MPI atomic counter on the root)
};

/// How a Cluster spreads particles and where it leaves them.
struct ClusterOptions {
  int root = 0;                                 ///< the process that gathers (Collect::root) and counts segments
  Collect collect = Collect::root;              ///< where the particles' columns go
  Balance balance = Balance::dynamic_segments;  ///< how segments are handed out
  /// Segments per process to aim at when segment_particles is 0: more balance uneven particles better, each adds
  /// one statistics node per save time to the messages.
  std::size_t segments_per_process = 8;
  /// Particles per segment; 0: chosen from segments_per_process. Rounded up to moment_chunk times a power of two.
  std::size_t segment_particles = 0;
};

/// The processes of an MPI communicator as a ParticleDistribution; create it with make_cluster.
class Cluster final : public ParticleDistribution {
 public:
  /// Duplicates `comm` (so the ensemble's messages never mix with the caller's) and allocates the segment counter;
  /// collective over comm. Throws std::invalid_argument for a bad root or segments_per_process.
  Cluster(MPI_Comm comm, const ClusterOptions& options);
  ~Cluster() override;  ///< frees the window and the communicator (unless MPI is finalised already)
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// The duplicated communicator the ensembles use.
  MPI_Comm communicator() const { return comm_; }
  /// The options the cluster was made with.
  const ClusterOptions& options() const { return options_; }
  /// Bytes this process has sent in the exchanges at the end of runs so far (statistics nodes, failures, paths and
  /// gathered columns; not the segment counter's few bytes): what the communication model counts.
  std::uint64_t bytes_sent() const { return bytes_sent_; }

  int rank() const override { return rank_; }                                 ///< this process's rank
  int processes() const override { return processes_; }                       ///< the number of processes
  Collect collect() const override { return options_.collect; }               ///< where the columns go
  void begin_run(std::size_t segments, std::size_t particles) override;       ///< resets the counters (collective)
  bool next_segment(std::size_t& segment) override;                           ///< the next segment for this process
  std::size_t finished(std::size_t particles) override;                       ///< adds to the global done count
  bool end_run(bool failed_here) override;                                    ///< closes the run (collective)
  std::vector<std::string> all_gather(const std::string& mine) override;      ///< bytes of all, on all
  std::vector<std::string> gather_to_root(const std::string& mine) override;  ///< bytes of all, on the root
  std::uint64_t sum(std::uint64_t mine) override;                             ///< a sum over processes
  std::size_t segment_size(std::size_t particles, std::size_t chunk) const override;  ///< particles per segment

 private:
  std::vector<std::uint64_t> message_sizes(std::size_t mine);  // every process's message size, on every process

  ClusterOptions options_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win window_ = MPI_WIN_NULL;
  std::uint64_t* counters_ = nullptr;  // on the root: next segment, particles done
  int rank_ = 0;
  int processes_ = 1;
  std::size_t segments_ = 0;
  std::size_t static_next_ = 0;
  std::uint64_t bytes_sent_ = 0;
};

/// A Cluster over `comm` for RunOptions::distribution (collective over comm).
std::shared_ptr<Cluster> make_cluster(MPI_Comm comm = MPI_COMM_WORLD, const ClusterOptions& options = {});

/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the thread that called the ensemble talks to MPI) and MPI_Finalize.
class Session {
 public:
  /// Initialises MPI unless it already is; throws std::runtime_error if MPI cannot give MPI_THREAD_FUNNELED.
  Session(int* argc, char*** argv);
  ~Session();  ///< finalises MPI if this session initialised it
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const;       ///< rank in MPI_COMM_WORLD
  int processes() const;  ///< size of MPI_COMM_WORLD

 private:
  bool owns_ = false;
};

}  // namespace sdekit::mpi
