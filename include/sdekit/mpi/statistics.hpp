#pragma once
// Statistics of a distributed ensemble's particle values without gathering them to one process: exact quantiles by a
// distributed selection (O(log N) rounds of O(processes) numbers each) and histograms by summed counts. Both are
// bitwise equal to EnsembleResult::quantile / histogram of the single-process run.
#include <sdekit/core/errors.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <mpi.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace sdekit::mpi {

/// The exact quantiles qs (Hyndman–Fan type 7, as sdekit::quantiles) of the non-NaN values spread over the processes
/// of comm, each giving its own `values`; collective, the same answer on every process.
std::vector<double> quantiles(MPI_Comm comm, std::span<const double> values, std::span<const double> qs);

/// The histogram (as sdekit::histogram) of the non-NaN values spread over the processes of comm; collective.
Histogram histogram(MPI_Comm comm, std::span<const double> values, std::size_t bins, double lo, double hi);

namespace detail {

/// The values of component `component` at save `save` that this process contributes: the columns it holds, except
/// that of several processes holding every column (Collect::all) only the lowest-ranked one contributes.
template <class X>
std::vector<double> contributed_values(MPI_Comm comm, const EnsembleResult<X>& result, std::size_t save,
                                       std::size_t component, const char* where) {
  sdekit::detail::require(save < result.values.size(), where, "save", save,
                          "must be below the number of save times " + std::to_string(result.values.size()));
  sdekit::detail::require(component < result.dimension, where, "component", component,
                          "must be below the dimension " + std::to_string(result.dimension));
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const int nobody = std::numeric_limits<int>::max();
  const int holder = result.holds_all_values() ? rank : nobody;
  int first_holder = nobody;
  MPI_Allreduce(&holder, &first_holder, 1, MPI_INT, MPI_MIN, comm);
  std::vector<double> out;
  if (result.holds_all_values() && rank != first_holder) return out;
  const Eigen::MatrixXd& v = result.values[save];
  out.reserve(static_cast<std::size_t>(v.cols()));
  for (Eigen::Index j = 0; j < v.cols(); ++j) out.push_back(v(static_cast<Eigen::Index>(component), j));
  return out;
}

}  // namespace detail

/// The exact q-quantiles of a component at a save time of a distributed run (any Collect; Collect::local keeps
/// every process's memory at its own particles); collective, equal to the single-process result.quantile.
template <class X>
std::vector<double> quantiles(MPI_Comm comm, const EnsembleResult<X>& result, std::size_t save, std::size_t component,
                              std::span<const double> qs) {
  return quantiles(comm, detail::contributed_values(comm, result, save, component, "sdekit::mpi::quantiles"), qs);
}

/// The exact q-quantile of a component at a save time of a distributed run; see quantiles.
template <class X>
double quantile(MPI_Comm comm, const EnsembleResult<X>& result, std::size_t save, std::size_t component, double q) {
  return quantiles(comm, detail::contributed_values(comm, result, save, component, "sdekit::mpi::quantile"),
                   std::span<const double>(&q, 1))
      .front();
}

/// The histogram of a component at a save time of a distributed run; collective, equal to result.histogram.
template <class X>
Histogram histogram(MPI_Comm comm, const EnsembleResult<X>& result, std::size_t save, std::size_t component,
                    std::size_t bins, double lo, double hi) {
  return histogram(comm, detail::contributed_values(comm, result, save, component, "sdekit::mpi::histogram"), bins, lo,
                   hi);
}

}  // namespace sdekit::mpi
