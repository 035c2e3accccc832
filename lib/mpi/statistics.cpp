// Exact quantiles over values spread across processes, by distributed selection: each round every process sends the
// median of its remaining candidates and their count, all agree on the weighted median of those medians as the pivot,
// count the candidates below and at it, and keep the side that holds the wanted rank. The pivot has at least a quarter
// of the candidates on each side, so O(log N) rounds of O(P) numbers find the order statistic; once few candidates are
// left they are gathered and sorted. The order statistics found are elements of the data, and the interpolation is
// the same expression as sdekit::quantile's, so the bits are the same.
#include <sdekit/core/errors.hpp>
#include <sdekit/mpi/statistics.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace sdekit::mpi {
namespace {

// Below this many candidates in all, they are gathered to every process and sorted: a few tens of KiB at most.
constexpr std::uint64_t gather_below = 4096;

std::uint64_t all_sum(MPI_Comm comm, std::uint64_t mine) {
  std::uint64_t total = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_UINT64_T, MPI_SUM, comm);
  return total;
}

// The k-th smallest (0-based) of the union of the processes' sorted arrays.
double select(MPI_Comm comm, const std::vector<double>& sorted, std::uint64_t k) {
  int processes = 1;
  MPI_Comm_size(comm, &processes);
  std::size_t lo = 0, hi = sorted.size();
  for (;;) {
    const std::uint64_t candidates = all_sum(comm, hi - lo);
    // The wanted rank always lies among the candidates; if not, stop rather than read past them.
    if (k >= candidates) throw std::logic_error("sdekit::mpi::quantiles: the distributed selection lost its rank");
    if (candidates <= gather_below) {
      const int mine = static_cast<int>(hi - lo);
      std::vector<int> counts(static_cast<std::size_t>(processes)), at(static_cast<std::size_t>(processes), 0);
      MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
      for (std::size_t r = 1; r < counts.size(); ++r) at[r] = at[r - 1] + counts[r - 1];
      std::vector<double> all(candidates);
      MPI_Allgatherv(sorted.data() + lo, mine, MPI_DOUBLE, all.data(), counts.data(), at.data(), MPI_DOUBLE, comm);
      std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
      return all[k];
    }
    // (median, weight) of every process's candidates; an empty process sends weight 0.
    const double local[2] = {hi > lo ? sorted[lo + (hi - lo) / 2] : 0.0, static_cast<double>(hi - lo)};
    std::vector<double> medians(2 * static_cast<std::size_t>(processes));
    MPI_Allgather(local, 2, MPI_DOUBLE, medians.data(), 2, MPI_DOUBLE, comm);
    std::vector<std::pair<double, double>> weighted;
    for (int r = 0; r < processes; ++r)
      if (medians[2 * r + 1] > 0) weighted.emplace_back(medians[2 * r], medians[2 * r + 1]);
    std::sort(weighted.begin(), weighted.end());
    double pivot = weighted.back().first, seen = 0;
    for (const auto& [value, weight] : weighted) {
      seen += weight;
      if (2 * seen >= static_cast<double>(candidates)) {
        pivot = value;
        break;
      }
    }
    const auto first = sorted.begin() + static_cast<std::ptrdiff_t>(lo);
    const auto last = sorted.begin() + static_cast<std::ptrdiff_t>(hi);
    const std::size_t below = static_cast<std::size_t>(std::lower_bound(first, last, pivot) - sorted.begin());
    const std::size_t up_to = static_cast<std::size_t>(std::upper_bound(first, last, pivot) - sorted.begin());
    std::uint64_t counts[2] = {below - lo, up_to - lo}, totals[2] = {0, 0};
    MPI_Allreduce(counts, totals, 2, MPI_UINT64_T, MPI_SUM, comm);
    if (k < totals[0]) {
      hi = below;
    } else if (k < totals[1]) {
      return pivot;
    } else {
      k -= totals[1];
      lo = up_to;
    }
  }
}

std::vector<double> finite_sorted(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values)
    if (!std::isnan(v)) out.push_back(v);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<double> quantiles(MPI_Comm comm, std::span<const double> values, std::span<const double> qs) {
  constexpr const char* where = "sdekit::mpi::quantiles";
  for (double q : qs) sdekit::detail::require(q >= 0.0 && q <= 1.0, where, "q", q, "must lie in [0, 1]");
  const std::vector<double> sorted = finite_sorted(values);
  const std::uint64_t n = all_sum(comm, sorted.size());
  sdekit::detail::require(n > 0, where, "values (non-NaN, all processes)", n, "must not be empty");
  std::vector<double> out;
  out.reserve(qs.size());
  for (double q : qs) {
    // The same positions and expression as sdekit::quantile (type 7), on the same order statistics.
    const double position = q * static_cast<double>(n - 1);
    const auto below = static_cast<std::uint64_t>(std::floor(position));
    const std::uint64_t above = std::min<std::uint64_t>(below + 1, n - 1);
    const double fraction = position - static_cast<double>(below);
    const double low = select(comm, sorted, below);
    const double high = above == below ? low : select(comm, sorted, above);
    out.push_back(low + fraction * (high - low));
  }
  return out;
}

Histogram histogram(MPI_Comm comm, std::span<const double> values, std::size_t bins, double lo, double hi) {
  Histogram local = sdekit::histogram(values, bins, lo, hi);
  // Integer counts: the sum does not depend on how the values were split.
  std::vector<std::uint64_t> counts(local.counts.begin(), local.counts.end());
  counts.push_back(local.below);
  counts.push_back(local.above);
  std::vector<std::uint64_t> totals(counts.size());
  MPI_Allreduce(counts.data(), totals.data(), static_cast<int>(counts.size()), MPI_UINT64_T, MPI_SUM, comm);
  for (std::size_t b = 0; b < bins; ++b) local.counts[b] = static_cast<std::size_t>(totals[b]);
  local.below = static_cast<std::size_t>(totals[bins]);
  local.above = static_cast<std::size_t>(totals[bins + 1]);
  return local;
}

}  // namespace sdekit::mpi
