// The MPI component from an installed sdekit (found with COMPONENTS mpi): an Ornstein–Uhlenbeck ensemble across the
// processes of MPI_COMM_WORLD, compared bit for bit with the same ensemble run in one process.
#include <sdekit/ensemble.hpp>
#include <sdekit/mpi.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  sdekit::mpi::Session session(&argc, &argv);
  auto ou = sdekit::make_sde([](double x, double) { return 2.0 * (1.0 - x); }, [](double, double) { return 0.5; },
                             sdekit::additive);
  sdekit::EnsembleOptions options;
  options.particles = 20000;
  options.dt = 1e-2;
  const auto single = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, options);
  options.distribution = sdekit::mpi::make_cluster();
  const auto distributed = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, options);
  const double a = single.statistics.back().mean[0], b = distributed.statistics.back().mean[0];
  const bool same = std::memcmp(&a, &b, sizeof(double)) == 0;
  if (session.rank() == 0)
    std::printf("sdekit::mpi consumer: %d process(es), mean at t=1 %.6f, bitwise equal to one process: %s\n",
                session.processes(), b, same ? "yes" : "NO");
  return same ? 0 : 1;
}
