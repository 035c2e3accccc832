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

  using Vec2 = Eigen::Vector2d;
  auto rotation = sdekit::make_sde([](const Vec2& v, double) -> Vec2 { return -v; },
                                   [](const Vec2& v, double) {
                                     Eigen::Matrix2d b;  // columns that do not commute: Milstein needs Lévy areas
                                     b << 0.3 * v[1], 0.2, -0.3 * v[0], 0.1 * v[0];
                                     return b;
                                   });
  //[ levy_area
  // Milstein asks for Lévy areas on this problem; the noise source draws them with the chosen algorithm.
  Vec2 v(1.0, 0.0);
  sdekit::integrate(milstein, rotation, v, 0.0, 1.0, 1.0 / 64,
                    sdekit::GaussianNoise(7, 0, sdekit::LevyAreaAlgorithm::fourier));
  //]
  check(v.allFinite() && v.norm() < 1.0, "non-commutative Milstein decays towards the origin");

  //[ discrete
  // A weak order 2 ensemble on three-point increments: the particle i of this run is
  // integrate(Dri1{}, ..., DiscreteNoise(seed, i, IncrementLaw::three_point)).
  sdekit::EnsembleOptions options;
  options.particles = 20000;
  options.dt = 0.25;
  options.increment_law = sdekit::IncrementLaw::three_point;
  const auto weak = sdekit::simulate_ensemble(sdekit::Dri1{}, gbm, 1.0, options);
  //]
  // E[X_1] = e^0.5; the standard error of 20000 particles is below 0.002.
  check(std::abs(weak.statistics.back().mean[0] - std::exp(0.5)) < 0.01, "three-point DRI1 mean near e^0.5");
  return sdekit_snippets::failures;
}
