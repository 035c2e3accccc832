#pragma once
// The MPI component (sdekit::mpi, found with find_package(sdekit COMPONENTS mpi)): ensembles across processes with
// the same bits as one process.
#include <sdekit/mpi/cluster.hpp>
#include <sdekit/mpi/statistics.hpp>
