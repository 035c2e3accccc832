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

  {
    //[ first_passage
    // An Ornstein-Uhlenbeck particle from 0, absorbed when it first reaches 1, reflected at -2.
    const auto ou = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
    sdekit::EnsembleOptions o;
    o.particles = 2000;
    o.t1 = 5;
    o.dt = 1e-3;
    const auto runs = sdekit::simulate_controlled_ensemble(
        sdekit::EulerMaruyama{}, ou, 0.0, o, {}, {sdekit::absorbing_above(1.0), sdekit::reflecting_below(-2.0)});
    const sdekit::SurvivalCurve not_yet = sdekit::first_passage_survival(runs.ends);  // censored at t1 = 5
    const double median_passage = not_yet.quantile(0.5);  // the time by which half the runs reached 1
    //]
    check(runs.count(sdekit::RunOutcome::stopped) + runs.count(sdekit::RunOutcome::completed) == 2000, "outcomes");
    check(median_passage > 0.5 && median_passage < 5, "median first passage");
    check(runs.statistics.back().min[0] >= -2.0, "reflected at -2");
  }
  return sdekit_snippets::failures;
}
