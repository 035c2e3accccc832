// The compiled snippets of docs/ensembles.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  sdekit::EnsembleOptions options;
  options.particles = 50;
  options.seed = 6;
  options.t1 = 1.0;
  options.dt = 0.05;
  //[ per_particle
  auto make = [](std::size_t i) {
    const double k = 0.5 + 0.1 * static_cast<double>(i);
    return sdekit::make_sde([k](double x, double) { return -k * x; }, [](double, double) { return 0.3; });
  };
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sdekit::per_particle(make), 1.0, options);
  //]

  // Particle 7 is the problem make(7) on the noise GaussianNoise(seed, 7).
  double x = 1.0;
  sdekit::EulerMaruyama em;
  sdekit::integrate(em, make(7), x, 0.0, 1.0, 0.05, sdekit::GaussianNoise(6, 7));
  check(x == r.values[0](0, 7), "particle 7 of the sweep is make(7) on its own noise");
  return sdekit_snippets::failures;
}
