// The compiled snippets of docs/adaptive.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  //[ tree
  // The path of one Wiener process on [0, 1], on the grid k / 2^20, for particle 0 of seed 42.
  sdekit::BrownianTree tree(42, 0.0, 1.0, 20);
  sdekit::TimeIntegralIncrement<double> late, early;
  tree.increment(tree.leaves() / 2, tree.leaves(), late);  // ΔW and I_(1,0) over [1/2, 1] first …
  tree.increment(0, tree.leaves() / 4, early);             // … then over [0, 1/4]: the order does not matter
  const double w_end = tree.value(tree.leaves());          // W(1) − W(0)
  //]
  sdekit::BrownianTree other(42, 0.0, 1.0, 20);
  sdekit::TimeIntegralIncrement<double> early_alone;
  other.increment(0, other.leaves() / 4, early_alone);
  check(early.dW == early_alone.dW && early.I10 == early_alone.I10, "a query gives the same bits in any order");
  check(std::isfinite(w_end) && std::isfinite(late.I10), "the tree gives finite values");

  //[ adaptive
  // The cubic problem dX = −¼X(1 − X²) dt + ½(1 − X²) dW, whose solution is X = tanh(W/2 + artanh X0).
  auto cubic = sdekit::make_sde([](double x, double) { return -0.25 * x * (1 - x * x); },
                                [](double x, double) { return 0.5 * (1 - x * x); });
  sdekit::AdaptiveOptions options;
  options.atol = options.rtol = 1e-4;
  options.stop_times = {0.25, 0.5};  // grid times the steps land on exactly (t1 always is)
  sdekit::Sriw1 sriw1;               // embedded error estimate; other schemes use step doubling
  double x = 0.5;
  std::vector<double> times;
  const sdekit::AdaptiveResult result =
      sdekit::integrate_adaptive(sriw1, cubic, x, tree, options, [&](double, double t) { times.push_back(t); });
  // result.stop says why it ended (reached_end, max_steps, dt_min, non_finite); result.accepted, result.rejected
  //]
  const double exact = std::tanh(0.5 * w_end + std::atanh(0.5));
  check(result.stop == sdekit::AdaptiveStop::reached_end, "the run reaches t1");
  check(std::abs(x - exact) < 1e-3, "the adaptive solution is close to the exact one on the same path");
  check(times.back() == 1.0 && result.accepted + 1 == times.size(), "the observer sees t0 and every accepted step");

  //[ ensemble
  // Particle p with its own steps on its own tree (particle index p): a pure function of (seed, p), on any thread.
  auto particle_at_t1 = [&](int p) {
    sdekit::BrownianTree path(42, 0.0, 1.0, 20, 1, static_cast<std::uint64_t>(p));
    double xp = 0.5;
    sdekit::Sriw1 stepper;
    (void)sdekit::integrate_adaptive(stepper, cubic, xp, path, options);
    return xp;
  };
  //]
  constexpr int particles = 64;
  std::vector<double> finals(particles);
#pragma omp parallel for
  for (int p = 0; p < particles; ++p) finals[static_cast<std::size_t>(p)] = particle_at_t1(p);
  check(finals[0] == x, "particle 0 of the ensemble is the single path above");
  return sdekit_snippets::failures == 0 ? 0 : 1;
}
