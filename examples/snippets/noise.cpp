// The compiled snippets of docs/noise.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  auto gbm = sdekit::make_sde([](double x, double) { return 0.5 * x; }, [](double x, double) { return 0.2 * x; });
  //[ odeint
  namespace odeint = boost::numeric::odeint;
  const sdekit::BrownianPath path(17, 0.0, 1.0 / 64);
  auto stepper = sdekit::make_odeint_stepper<double>(sdekit::Milstein{}, gbm, path);
  double x = 1.0;
  std::vector<double> times, states;
  const std::size_t steps = odeint::integrate_const(stepper, gbm, x, 0.0, 1.0, 1.0 / 16, [&](double v, double t) {
    times.push_back(t);
    states.push_back(v);
  });
  //]
  check(steps == 16 && times.size() == 17, "odeint takes 16 steps and observes 17 times");

  // The same path through sdekit::integrate gives the same states.
  double y = 1.0;
  sdekit::Milstein milstein;
  sdekit::integrate(milstein, gbm, y, 0.0, 1.0, 1.0 / 16, path);
  check(std::abs(x - y) <= 1e-13 * std::abs(y), "odeint and sdekit::integrate agree");
  return sdekit_snippets::failures;
}
