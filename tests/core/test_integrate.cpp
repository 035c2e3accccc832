// Integrating one path: the time grid (t0 + k·dt, shortened last step, save times), observers, runtime errors, and
// Boost.Odeint driving an sdekit stepper.
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/odeint_adaptor.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>

#include <boost/numeric/odeint/integrate/integrate_const.hpp>
#include <boost/numeric/odeint/integrate/integrate_times.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {
auto gbm = sdekit::make_sde([](double x, double) { return 0.5 * x; }, [](double x, double) { return 0.2 * x; });
}

TEST_CASE("TimeGrid computes t0 + k·dt and shortens the last step to land on t1") {
  const sdekit::TimeGrid grid(1.0, 2.05, 0.1);
  REQUIRE(grid.steps() == 11);
  for (std::size_t k = 0; k < 11; ++k) CHECK(grid.time(k) == 1.0 + static_cast<double>(k) * 0.1);
  CHECK(grid.time(11) == 2.05);
  CHECK(grid.step_size(10) == doctest::Approx(0.05));
  // A span that is a whole number of steps up to rounding gets no sliver step.
  CHECK(sdekit::TimeGrid(0.0, 1.0, 0.1).steps() == 10);
  CHECK(sdekit::TimeGrid(0.0, 0.3, 0.1).steps() == 3);
  CHECK(sdekit::TimeGrid(0.5, 0.5, 0.1).steps() == 0);
}

TEST_CASE("TimeGrid makes every save time a step boundary") {
  const sdekit::TimeGrid grid(0.0, 1.0, 0.25, {0.1, 0.5, 0.5, 1.0});
  CHECK(grid.steps() == 5);  // 0, 0.1, 0.25, 0.5, 0.75, 1
  CHECK(grid.time(grid.save_index(0)) == 0.1);
  CHECK(grid.time(grid.save_index(1)) == 0.5);
  CHECK(grid.save_index(2) == grid.save_index(1));
  CHECK(grid.save_index(3) == grid.steps());
}

TEST_CASE("integrate calls the observer at t0 and after every step, at t0 + k·dt") {
  double x = 1.0;
  std::vector<double> times;
  sdekit::EulerMaruyama em;
  const std::size_t steps = sdekit::integrate(em, gbm, x, 0.0, 1.0, 0.3, sdekit::GaussianNoise(1),
                                              [&](double, double t) { times.push_back(t); });
  CHECK(steps == 4);
  CHECK(times == std::vector<double>{0.0, 0.3, 0.6, 0.3 * 3, 1.0});
}

TEST_CASE("integrate_times observes exactly at the requested times and nowhere else") {
  double x = 1.0;
  std::vector<double> seen, values;
  const std::vector<double> wanted{0.0, 0.05, 0.5, 0.77, 1.0};
  sdekit::Milstein milstein;
  sdekit::integrate_times(milstein, gbm, x, wanted, 0.1, sdekit::GaussianNoise(2), [&](double v, double t) {
    seen.push_back(t);
    values.push_back(v);
  });
  CHECK(seen == wanted);
  CHECK(values.front() == 1.0);
  CHECK(values.back() == x);
}

TEST_CASE("the path depends only on the noise: integrate twice, get the same bits") {
  double a = 1.0, b = 1.0;
  sdekit::EulerMaruyama em;
  sdekit::integrate(em, gbm, a, 0.0, 1.0, 0.01, sdekit::GaussianNoise(9, 4));
  sdekit::integrate(em, gbm, b, 0.0, 1.0, 0.01, sdekit::GaussianNoise(9, 4));
  CHECK(a == b);
  double c = 1.0;
  sdekit::integrate(em, gbm, c, 0.0, 1.0, 0.01, sdekit::GaussianNoise(9, 5));
  CHECK(c != a);
}

TEST_CASE("runtime input errors name the argument and its value") {
  sdekit::EulerMaruyama em;
  double x = 1.0;
  CHECK_THROWS_WITH_AS(sdekit::integrate(em, gbm, x, 0.0, 1.0, 0.0, sdekit::GaussianNoise(1)),
                       "sdekit::integrate: dt = 0 must be positive and finite", std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::integrate(em, gbm, x, 0.0, 1.0, -0.5, sdekit::GaussianNoise(1)),
                       doctest::Contains("dt = -0.5"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      sdekit::integrate(em, gbm, x, 0.0, 1.0, std::numeric_limits<double>::quiet_NaN(), sdekit::GaussianNoise(1)),
      doctest::Contains("dt = nan"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::integrate(em, gbm, x, 2.0, 1.0, 0.1, sdekit::GaussianNoise(1)),
                       "sdekit::integrate: t1 = 1 must not be before t0 = 2", std::invalid_argument);
  double bad = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(sdekit::integrate(em, gbm, bad, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1)),
                       "sdekit::integrate: x0 = inf must be finite", std::invalid_argument);
  Eigen::Vector2d v(1.0, std::numeric_limits<double>::quiet_NaN());
  auto lin = sdekit::make_sde([](const Eigen::Vector2d& y, double) { return -y; },
                              [](const Eigen::Vector2d& y, double) { return y; });
  CHECK_THROWS_WITH_AS(sdekit::integrate(em, lin, v, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1)),
                       doctest::Contains("x0 = (1, nan) must be finite"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      sdekit::integrate_times(em, gbm, x, {0.0, 0.5, 0.2}, 0.1, sdekit::GaussianNoise(1), sdekit::NullObserver{}),
      doctest::Contains("times[2] = 0.2 must not be before times[1] = 0.5"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::integrate_times(em, gbm, x, {}, 0.1, sdekit::GaussianNoise(1), sdekit::NullObserver{}),
                       doctest::Contains("times.size() = 0"), std::invalid_argument);
  auto mismatched =
      sdekit::make_sde([](const Eigen::VectorXd& y, double) -> Eigen::VectorXd { return -y; },
                       [](const Eigen::VectorXd&, double) -> Eigen::VectorXd { return Eigen::VectorXd::Ones(2); });
  Eigen::VectorXd w = Eigen::VectorXd::Ones(3);
  CHECK_THROWS_WITH_AS(sdekit::integrate(em, mismatched, w, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1)),
                       doctest::Contains("rows of b(x, t) = 2 must equal the state size 3"), std::invalid_argument);
}

TEST_CASE("Boost.Odeint's integrate_const drives an sdekit stepper step for step like sdekit::integrate") {
  namespace odeint = boost::numeric::odeint;
  const sdekit::BrownianPath path(17, 0.0, 1.0 / 64);
  auto stepper = sdekit::make_odeint_stepper<double>(sdekit::Milstein{}, gbm, path);
  double x = 1.0;
  std::vector<double> times, states;
  const std::size_t steps = odeint::integrate_const(stepper, gbm, x, 0.0, 1.0, 1.0 / 16, [&](double v, double t) {
    times.push_back(t);
    states.push_back(v);
  });
  CHECK(steps == 16);
  CHECK(stepper.steps_taken() == 16);  // the counter is shared by odeint's copies of the stepper
  CHECK(stepper.order() == 1.0);       // Milstein's declared strong order on this problem
  REQUIRE(times.size() == 17);
  CHECK(times.back() == doctest::Approx(1.0));

  double y = 1.0;
  std::vector<double> reference;
  sdekit::Milstein milstein;
  sdekit::integrate(milstein, gbm, y, 0.0, 1.0, 1.0 / 16, path, [&](double v, double) { reference.push_back(v); });
  REQUIRE(reference.size() == states.size());
  for (std::size_t i = 0; i < states.size(); ++i) CHECK(states[i] == doctest::Approx(reference[i]).epsilon(1e-13));

  // integrate_times with an odeint observer at chosen times.
  double z = 1.0;
  std::vector<double> at{0.0, 0.25, 0.5, 1.0}, observed;
  auto stepper2 = sdekit::make_odeint_stepper<double>(sdekit::Milstein{}, gbm, path);
  odeint::integrate_times(stepper2, gbm, z, at.begin(), at.end(), 1.0 / 16,
                          [&](double, double t) { observed.push_back(t); });
  CHECK(observed == at);
  CHECK(z == doctest::Approx(y).epsilon(1e-13));
}
