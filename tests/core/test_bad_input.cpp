// Bad input through the public API, as an adversarial user would give it (issue 18): every case gives a clear
// std::invalid_argument naming the function, the argument and its value, a NonFiniteState naming the step, or a
// reported failed particle — never a crash, a silent NaN, a read out of range or std::bad_alloc.
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>
#include <sdekit/solvers/stochastic_heun.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

using sdekit_test::contains;
using sdekit_test::message_of;

namespace {
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// A diffusion that turns from 2×2 into 2×3 at t = 0.5, and a drift that turns from 3 to 1 components there.
auto growing_diffusion = [](const Eigen::VectorXd& x, double t) {
  return Eigen::MatrixXd::Identity(x.size(), t < 0.5 ? 2 : 3);
};
auto shrinking_drift = [](const Eigen::VectorXd& x, double t) {
  return t < 0.5 ? Eigen::VectorXd(-x) : Eigen::VectorXd::Zero(1).eval();
};
auto unit_diffusion = [](const Eigen::VectorXd& x, double) { return Eigen::VectorXd::Ones(x.size()).eval(); };
auto zero_drift = [](const Eigen::VectorXd& x, double) { return Eigen::VectorXd::Zero(x.size()).eval(); };

sdekit::EnsembleOptions small_run() {
  sdekit::EnsembleOptions o;
  o.particles = 10;
  o.dt = 0.1;
  return o;
}
}  // namespace

TEST_CASE("a diffusion whose column count changes during a single path is an error naming the time") {
  const auto problem = sdekit::make_sde(zero_drift, growing_diffusion);
  for (int scheme = 0; scheme < 2; ++scheme) {
    Eigen::VectorXd x = Eigen::VectorXd::Ones(2);
    const std::string m = message_of([&] {
      if (scheme == 0) {
        sdekit::EulerMaruyama em;
        sdekit::integrate(em, problem, x, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1));
      } else {
        sdekit::Milstein milstein;
        const auto commuting = sdekit::make_sde(zero_drift, growing_diffusion, sdekit::commutative);
        sdekit::integrate(milstein, commuting, x, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1));
      }
    });
    INFO(m);
    CHECK(
        contains(m, "sdekit::do_step: columns of b(x, t) = 3 must equal the number of Wiener processes of the run 2"));
    CHECK(contains(m, "at t = 0.5"));
  }
}

TEST_CASE("a drift whose size changes during a single path is an error naming the time") {
  const auto problem = sdekit::make_sde(shrinking_drift, unit_diffusion);
  Eigen::VectorXd x = Eigen::VectorXd::Ones(3);
  sdekit::StochasticHeun heun;
  const auto strat = sdekit::make_sde(shrinking_drift, unit_diffusion, sdekit::stratonovich);
  for (const std::string& m : {message_of([&] {
                                 sdekit::EulerMaruyama em;
                                 sdekit::integrate(em, problem, x, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1));
                               }),
                               message_of([&] {
                                 sdekit::integrate(heun, strat, x = Eigen::VectorXd::Ones(3), 0.0, 1.0, 0.1,
                                                   sdekit::GaussianNoise(1));
                               })}) {
    INFO(m);
    CHECK(contains(m, "sdekit::do_step: size of a(x, t) = 1 must equal the state size 3"));
    CHECK(contains(m, "(at t = 0.5"));
  }
}

TEST_CASE("inside an ensemble, a size-changing drift or diffusion is a reported failure of each particle") {
  sdekit::EnsembleOptions o = small_run();
  const auto r1 = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sdekit::make_sde(zero_drift, growing_diffusion),
                                            Eigen::VectorXd::Ones(2).eval(), o);
  REQUIRE(r1.failures.size() == o.particles);
  CHECK(r1.failures[3].time == doctest::Approx(0.5));
  CHECK(contains(r1.failures[3].reason, "columns of b(x, t) = 3"));
  CHECK(r1.statistics.back().alive == 0);
  const auto r2 = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sdekit::make_sde(shrinking_drift, unit_diffusion),
                                            Eigen::VectorXd::Ones(3).eval(), o);
  REQUIRE(r2.failures.size() == o.particles);
  CHECK(contains(r2.failures[0].reason, "size of a(x, t) = 1 must equal the state size 3"));
}

TEST_CASE("integrate stops at the first non-finite state, naming the step and time, unless told to keep going") {
  // The drift turns NaN at t = 0.3: step 3 (from 0.3 to 0.4) is the first whose result is NaN.
  const auto problem = sdekit::make_sde([](double x, double t) { return t >= 0.3 - 1e-12 ? not_a_number : -x; },
                                        [](double, double) { return 0.1; });
  sdekit::EulerMaruyama em;
  double x = 1.0;
  try {
    sdekit::integrate(em, problem, x, 0.0, 1.0, 0.1, sdekit::GaussianNoise(3));
    FAIL("expected sdekit::NonFiniteState");
  } catch (const sdekit::NonFiniteState& e) {
    INFO(e.what());
    CHECK(e.step() == 3);
    CHECK(e.time() == doctest::Approx(0.3));
    CHECK(contains(e.what(), "sdekit::integrate: the state turned non-finite in step 3 from t = 0.3"));
    CHECK(contains(e.what(), "x = nan"));
  }
  x = 1.0;
  std::size_t observed = 0;
  CHECK(sdekit::integrate(
            em, problem, x, 0.0, 1.0, 0.1, sdekit::GaussianNoise(3), [&](double, double) { ++observed; },
            sdekit::OnNonFinite::keep_going) == 10);
  CHECK(observed == 11);
  CHECK(std::isnan(x));
  std::vector<double> times{0.0, 0.5, 1.0};
  x = 1.0;
  CHECK_THROWS_AS(sdekit::integrate_times(em, problem, x, times, 0.1, sdekit::GaussianNoise(3), sdekit::NullObserver{}),
                  sdekit::NonFiniteState);
}

TEST_CASE("absurd step counts are refused naming dt, before anything is allocated") {
  sdekit::EulerMaruyama em;
  const auto problem = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  double x = 1.0;
  const std::string tiny =
      message_of([&] { sdekit::integrate(em, problem, x, 0.0, 1.0, 1e-300, sdekit::GaussianNoise(1)); });
  INFO(tiny);
  CHECK(contains(tiny,
                 "sdekit::integrate: dt = 1e-300 gives 9.999999999999999e+299 steps over [t0, t1] = [0, 1], more than "
                 "TimeGrid::max_steps = 100000000"));
  const std::string long_span =
      message_of([&] { sdekit::integrate(em, problem, x, 0.0, 1e6, 1e-12, sdekit::GaussianNoise(1)); });
  INFO(long_span);
  CHECK(contains(long_span, "dt = 1e-12 gives 1e+18 steps"));
  sdekit::EnsembleOptions o = small_run();
  o.dt = 1e-12;
  o.t1 = 1e6;
  CHECK(contains(message_of([&] { sdekit::simulate_ensemble(em, problem, 1.0, o); }),
                 "sdekit::simulate_ensemble: dt = 1e-12 gives 1e+18 steps"));
  // The limit itself is accepted (no allocation happens until the grid is built, so test just below it cheaply).
  CHECK(sdekit::TimeGrid(0.0, 1.0, 1e-6).steps() == 1000000);
}

TEST_CASE("absurd thread counts are refused, in ensembles and in samplers") {
  const auto problem = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  sdekit::EnsembleOptions o = small_run();
  o.threads = 1000000;
  CHECK(message_of([&] { sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, problem, 1.0, o); }) ==
        "sdekit::simulate_ensemble: threads = 1000000 must be at most sdekit::max_threads = 1024");
  sdekit::ReverseSampleOptions s;
  s.particles = 10;
  s.steps = 10;
  s.threads = 1000000;
  const sdekit::VpSde<> vp;
  auto score = [](double x, double) { return -x; };
  CHECK(message_of([&] { sdekit::sample_reverse_sde(vp, score, vp.prior_sampler<double>(), s); }) ==
        "sdekit::sample_reverse_sde: threads = 1000000 must be at most sdekit::max_threads = 1024");
  s.threads = 0;
  s.steps = std::size_t{1} << 40;
  CHECK(contains(message_of([&] { sdekit::sample_reverse_sde(vp, score, vp.prior_sampler<double>(), s); }),
                 "sdekit::sample_reverse_sde: steps = 1099511627776 must be at most TimeGrid::max_steps"));
}

TEST_CASE("a throwing initial-state sampler or problem factory fails only its particle, naming it") {
  const auto problem = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 0.5; });
  sdekit::EnsembleOptions o = small_run();
  auto sampler = [](std::size_t i, sdekit::RandomStream&) {
    if (i == 0 || i == 7) throw std::runtime_error("no prior draw for particle " + std::to_string(i));
    return 1.0;
  };
  for (int entry = 0; entry < 2; ++entry) {
    const auto r = entry == 0 ? sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, problem, sampler, o)
                              : sdekit::simulate_process_ensemble(
                                    sampler, [](double& x, double, double, sdekit::RandomStream&) { x *= 0.5; }, o);
    REQUIRE(r.failures.size() == 2);
    CHECK(r.failures[0].index == 0);
    CHECK(r.failures[0].reason == "the initial-state sampler threw: no prior draw for particle 0");
    CHECK(r.failures[1].index == 7);
    CHECK(r.statistics.back().alive == 8);
  }
  auto factory = [](std::size_t i) {
    if (i == 0 || i == 4) throw std::runtime_error("no rate for particle " + std::to_string(i));
    return sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 0.5; });
  };
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sdekit::per_particle(factory), 1.0, o);
  REQUIRE(r.failures.size() == 2);
  CHECK(r.failures[1].index == 4);
  CHECK(r.failures[1].reason == "the per_particle problem factory threw: no rate for particle 4");
  CHECK(r.statistics.back().alive == 8);
  // If every particle throws, the run itself is refused, with particle 0's message.
  auto always = [](std::size_t, sdekit::RandomStream&) -> double { throw std::runtime_error("broken prior"); };
  CHECK(message_of([&] { sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, problem, always, o); }) ==
        "sdekit::simulate_ensemble: x0 = (a function) threw for every particle; particle 0: broken prior");
}

TEST_CASE("a result that cannot fit in memory is refused up front, saying how much it needs") {
  const auto problem = sdekit::make_sde([](const Eigen::Vector3d& x, double) { return Eigen::Vector3d(-x); },
                                        [](const Eigen::Vector3d&, double) { return Eigen::Vector3d::Ones().eval(); });
  sdekit::EnsembleOptions o;
  o.particles = std::size_t{1} << 32;     // the documented maximum: 3 × 8 bytes × 2^32 ≈ 103 GB of result
  o.save_times = {0.25, 0.5, 0.75, 1.0};  // ≈ 447 GB: more than any machine this suite runs on
  const std::string m = message_of(
      [&] { sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, problem, Eigen::Vector3d::Ones().eval(), o); });
  INFO(m);
  CHECK(contains(m,
                 "sdekit::simulate_ensemble: particles = 4294967296 needs 446.676598784 GB for the result "
                 "(4 save times × 3 components × 8 bytes per particle, plus 8)"));
}

TEST_CASE("a custom β(t) that is negative or non-finite somewhere on [0, T] is refused naming the time") {
  CHECK(message_of([] { sdekit::make_vp_sde([](double t) { return 1.0 - 2.0 * t; }); }) ==
        "sdekit::VpSde: beta(t) = -0.001953125 must be finite and >= 0 on [0, T]; it is not at t = 0.5009765625");
  CHECK(
      contains(message_of([] { sdekit::make_sub_vp_sde([](double t) { return t > 0.75 ? not_a_number : 1.0; }, 2.0); }),
               "sdekit::SubVpSde: beta(t) = nan must be finite and >= 0 on [0, T]; it is not at t = 0.751953125"));
  CHECK_NOTHROW(sdekit::make_vp_sde([](double t) { return 0.1 + 19.9 * t; }));
}
