// The MPI side of distributed ensembles: segment hand-out (static, or an atomic counter on the root read with
// MPI_Fetch_and_op, so no process has to serve requests), progress counts, and the byte exchanges of the recorder.
// Every MPI call here comes from the thread that called the ensemble, outside OpenMP regions (MPI_THREAD_FUNNELED).
#include <sdekit/core/errors.hpp>
#include <sdekit/mpi/cluster.hpp>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

namespace sdekit::mpi {
namespace {

// MPI counts are ints. Every process learns every message size first, so that a message of 2 GiB or more makes all
// of them throw together (one process throwing alone would leave the others waiting in the collective).
std::vector<int> checked_counts(const std::vector<std::uint64_t>& sizes, const char* where) {
  std::uint64_t total = 0, largest = 0;
  for (std::uint64_t n : sizes) {
    total += n;
    largest = std::max(largest, n);
  }
  sdekit::detail::require(total <= static_cast<std::uint64_t>(INT_MAX), where, "bytes of all processes' messages",
                          total,
                          "must be below 2^31 (the largest process sends " + std::to_string(largest) +
                              "; gather fewer columns: sdekit::Collect::local, or fewer save times)");
  return std::vector<int>(sizes.begin(), sizes.end());
}

std::vector<int> displacements(const std::vector<int>& counts) {
  std::vector<int> d(counts.size(), 0);
  for (std::size_t r = 1; r < counts.size(); ++r) d[r] = d[r - 1] + counts[r - 1];
  return d;
}

std::vector<std::string> split(const std::vector<char>& all, const std::vector<int>& counts) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (int c : counts) {
    out.emplace_back(all.data() + at, static_cast<std::size_t>(c));
    at += static_cast<std::size_t>(c);
  }
  return out;
}

}  // namespace

Cluster::Cluster(MPI_Comm comm, const ClusterOptions& options) : options_(options) {
  constexpr const char* where = "sdekit::mpi::Cluster";
  int size = 0;
  MPI_Comm_size(comm, &size);
  sdekit::detail::require(options.root >= 0 && options.root < size, where, "root", options.root,
                          "must be a rank of the communicator (0 … " + std::to_string(size - 1) + ")");
  sdekit::detail::require(options.segments_per_process >= 1, where, "segments_per_process",
                          options.segments_per_process, "must be at least 1");
  MPI_Comm_dup(comm, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &processes_);
  const MPI_Aint bytes = rank_ == options_.root ? static_cast<MPI_Aint>(2 * sizeof(std::uint64_t)) : 0;
  MPI_Win_allocate(bytes, sizeof(std::uint64_t), MPI_INFO_NULL, comm_, &counters_, &window_);
}

Cluster::~Cluster() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;  // MPI has released everything already
  if (window_ != MPI_WIN_NULL) MPI_Win_free(&window_);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void Cluster::begin_run(std::size_t segments, std::size_t) {
  segments_ = segments;
  static_next_ = static_cast<std::size_t>(rank_);
  if (rank_ == options_.root) {
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, rank_, 0, window_);
    counters_[0] = 0;
    counters_[1] = 0;
    MPI_Win_unlock(rank_, window_);
  }
  MPI_Barrier(comm_);  // nobody takes a segment before the counters are reset
  MPI_Win_lock_all(MPI_MODE_NOCHECK, window_);
}

bool Cluster::next_segment(std::size_t& segment) {
  if (options_.balance == Balance::static_segments) {
    if (static_next_ >= segments_) return false;
    segment = static_next_;
    static_next_ += static_cast<std::size_t>(processes_);
    return true;
  }
  const std::uint64_t one = 1;
  std::uint64_t taken = 0;
  MPI_Fetch_and_op(&one, &taken, MPI_UINT64_T, options_.root, 0, MPI_SUM, window_);
  MPI_Win_flush(options_.root, window_);
  if (taken >= segments_) return false;
  segment = static_cast<std::size_t>(taken);
  return true;
}

std::size_t Cluster::finished(std::size_t particles) {
  const std::uint64_t add = particles;
  std::uint64_t before = 0;
  MPI_Fetch_and_op(&add, &before, MPI_UINT64_T, options_.root, 1, MPI_SUM, window_);
  MPI_Win_flush(options_.root, window_);
  return static_cast<std::size_t>(before + add);
}

bool Cluster::end_run(bool failed_here) {
  MPI_Win_unlock_all(window_);
  int mine = failed_here ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_LOR, comm_);
  return any != 0;
}

std::vector<std::uint64_t> Cluster::message_sizes(std::size_t mine) {
  const std::uint64_t size = mine;
  std::vector<std::uint64_t> sizes(static_cast<std::size_t>(processes_));
  MPI_Allgather(&size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, comm_);
  bytes_sent_ += size;
  return sizes;
}

std::vector<std::string> Cluster::all_gather(const std::string& mine) {
  const std::vector<int> counts = checked_counts(message_sizes(mine.size()), "sdekit::mpi::Cluster::all_gather");
  const std::vector<int> at = displacements(counts);
  std::vector<char> all(static_cast<std::size_t>(at.back()) + static_cast<std::size_t>(counts.back()));
  MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, all.data(), counts.data(), at.data(), MPI_CHAR,
                 comm_);
  return split(all, counts);
}

std::vector<std::string> Cluster::gather_to_root(const std::string& mine) {
  const std::vector<int> counts = checked_counts(message_sizes(mine.size()), "sdekit::mpi::Cluster::gather_to_root");
  if (rank_ != options_.root) {
    MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, nullptr, nullptr, nullptr, MPI_CHAR,
                options_.root, comm_);
    return {};
  }
  const std::vector<int> at = displacements(counts);
  std::vector<char> all(static_cast<std::size_t>(at.back()) + static_cast<std::size_t>(counts.back()));
  MPI_Gatherv(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, all.data(), counts.data(), at.data(), MPI_CHAR,
              options_.root, comm_);
  return split(all, counts);
}

std::uint64_t Cluster::sum(std::uint64_t mine) {
  std::uint64_t total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, comm_);
  return total;
}

std::size_t Cluster::segment_size(std::size_t particles, std::size_t chunk) const {
  // A power of two of whole chunks, so that a segment is one node of column_moments' merge tree.
  std::size_t wanted = options_.segment_particles;
  if (wanted == 0) wanted = particles / (static_cast<std::size_t>(processes_) * options_.segments_per_process);
  std::size_t size = chunk;
  while (size < wanted && size < particles) size *= 2;
  if (options_.segment_particles == 0 && size > wanted && size > chunk) size /= 2;  // at least the aimed-at count
  return size;
}

std::shared_ptr<Cluster> make_cluster(MPI_Comm comm, const ClusterOptions& options) {
  return std::make_shared<Cluster>(comm, options);
}

Session::Session(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  int provided = MPI_THREAD_SINGLE;
  if (!initialised) {
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    owns_ = true;
  } else {
    MPI_Query_thread(&provided);
  }
  if (provided < MPI_THREAD_FUNNELED)
    throw std::runtime_error("sdekit::mpi::Session: MPI provides thread level " + std::to_string(provided) +
                             ", below MPI_THREAD_FUNNELED, which OpenMP threads inside a process need");
}

Session::~Session() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_ && !finalized) MPI_Finalize();
}

int Session::rank() const {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int Session::processes() const {
  int p = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &p);
  return p;
}

}  // namespace sdekit::mpi
