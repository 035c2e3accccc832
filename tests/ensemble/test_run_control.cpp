// Runs that always end: event caps, wall-time limits, stop predicates and SDE boundaries, with outcomes per run and
// progress within long runs; first-passage and extinction-time survival curves against closed forms (pure death,
// Brownian first passage, reflected Brownian motion), reproducibility for 1 and 2 threads, and input errors.
#include <sdekit/discrete/reaction_network.hpp>
#include <sdekit/ensemble/simulate_controlled.hpp>
#include <sdekit/ensemble/survival.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

using sdekit_test::check_throws_naming;

namespace {

using Clock = std::chrono::steady_clock;

// The textbook Lotka–Volterra network of the issue: prey birth, predation, predator death, from (50, 50).
auto lotka_volterra() {
  return sdekit::make_reaction_network(
      {"prey", "predator"}, {50.0, 50.0}, sdekit::reaction("prey birth", "prey -> 2 prey", sdekit::mass_action(1.0)),
      sdekit::reaction("predation", "prey + predator -> 2 predator", sdekit::mass_action(0.01)),
      sdekit::reaction("predator death", "predator -> 0", sdekit::mass_action(1.0)));
}

sdekit::JumpOptions lv_options(std::size_t particles, int threads) {
  sdekit::JumpOptions o;
  o.particles = particles;
  o.seed = 17;
  o.threads = threads;
  o.block_size = 16;
  o.t0 = 0;
  o.t1 = 30;
  o.observe_dt = 5;
  return o;
}

bool same_bits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

}  // namespace

TEST_CASE("Lotka-Volterra ends: predator extinction stops a run, the event cap cuts the prey explosion") {
  const auto network = lotka_volterra();
  const std::size_t n = 200;
  const auto start = Clock::now();
  // Without a stop the prey of a run whose predators died grow like e^t: the cap ends those runs.
  const auto capped = sdekit::simulate_ssa(network, lv_options(n, 2), sdekit::RunControl<>{200000, 0, {}});
  const auto stopped = sdekit::simulate_ssa(network, lv_options(n, 2),
                                            sdekit::stop_when([](const auto& x) { return x[1] == 0; }, 200000));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  MESSAGE("Lotka-Volterra, 200 runs to T = 30 twice: "
          << seconds << " s; capped: completed " << capped.count(sdekit::RunOutcome::completed) << ", event_limit "
          << capped.count(sdekit::RunOutcome::event_limit) << "; with stop: completed "
          << stopped.count(sdekit::RunOutcome::completed) << ", stopped " << stopped.count(sdekit::RunOutcome::stopped)
          << ", event_limit " << stopped.count(sdekit::RunOutcome::event_limit));
  for (const auto* r : {&capped, &stopped}) {
    std::size_t total = 0;
    for (std::size_t o = 0; o < sdekit::run_outcome_count; ++o) total += r->outcome_counts[o];
    CHECK(total == n);
    CHECK(r->ends.size() == n);
    CHECK(r->count(sdekit::RunOutcome::failed) == 0);
  }
  // Predators die out in a good share of runs by T = 30 (the stochastic LV cycle is not stable).
  CHECK(capped.count(sdekit::RunOutcome::event_limit) > 0);
  CHECK(stopped.count(sdekit::RunOutcome::stopped) > 0);
  // The same runs (same draws) until the predators die: each capped run is a stopped one that went on.
  CHECK(capped.count(sdekit::RunOutcome::event_limit) <= stopped.count(sdekit::RunOutcome::stopped));
  const std::size_t last = stopped.values.size() - 1;
  for (std::size_t i = 0; i < n; ++i) {
    const sdekit::RunEnd& e = stopped.ends[i];
    if (e.outcome == sdekit::RunOutcome::stopped) {
      CHECK(e.time < 30);
      CHECK(e.events > 0);
      CHECK(stopped.values[last](1, static_cast<Eigen::Index>(i)) == 0);  // the stopped state is kept
    } else if (e.outcome == sdekit::RunOutcome::completed) {
      CHECK(e.time == 30);
      CHECK(stopped.values[last](1, static_cast<Eigen::Index>(i)) > 0);
    }
    if (capped.ends[i].outcome == sdekit::RunOutcome::event_limit) {
      CHECK(capped.ends[i].events == 200000);
      CHECK(std::isnan(capped.values[last](0, static_cast<Eigen::Index>(i))));  // a cut run is not a sample at T
    }
  }
  CHECK(capped.statistics.back().alive == capped.count(sdekit::RunOutcome::completed));
  // Bitwise the same for 1 thread.
  const auto one = sdekit::simulate_ssa(network, lv_options(n, 1),
                                        sdekit::stop_when([](const auto& x) { return x[1] == 0; }, 200000));
  CHECK(same_bits(one.values.back(), stopped.values.back()));
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(one.ends[i].outcome == stopped.ends[i].outcome);
    CHECK(std::memcmp(&one.ends[i].time, &stopped.ends[i].time, sizeof(double)) == 0);
    CHECK(one.ends[i].events == stopped.ends[i].events);
  }
}

TEST_CASE("the controlled SSA without limits gives the same bits as simulate_ssa") {
  const auto network = lotka_volterra();
  auto o = lv_options(64, 2);
  o.t1 = 5;
  const auto plain = sdekit::simulate_ssa(network, o);
  const auto controlled = sdekit::simulate_ssa(network, o, sdekit::RunControl<>{});
  for (std::size_t s = 0; s < plain.values.size(); ++s) CHECK(same_bits(plain.values[s], controlled.values[s]));
  CHECK(controlled.count(sdekit::RunOutcome::completed) == 64);
}

TEST_CASE("a slow model reports progress within its one long run, and the wall-time limit ends it") {
  // One run of a pure birth process whose propensity costs ~20 µs: it could not finish in hours.
  const auto slow = [](const Eigen::Matrix<double, 1, 1>&) {
    const auto until = Clock::now() + std::chrono::microseconds(20);
    while (Clock::now() < until) {
    }
    return 1e6;
  };
  const auto network = sdekit::make_reaction_network({"X"}, {0.0}, sdekit::reaction("birth", "0 -> X", slow));
  sdekit::JumpOptions o;
  o.particles = 1;
  o.t1 = 1e6;
  o.observe_dt = 1e6;
  std::vector<double> fractions, seconds;
  const auto start = Clock::now();
  o.progress = [&](double f) {
    fractions.push_back(f);
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  };
  const auto r = sdekit::simulate_ssa(network, o, sdekit::RunControl<>{0, 2.5, {}});
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  MESSAGE("wall-time-limited run: " << total << " s, " << fractions.size() << " progress calls, " << r.ends[0].events
                                    << " events");
  CHECK(r.count(sdekit::RunOutcome::wall_time_limit) == 1);
  CHECK(r.ends[0].time > 0);
  CHECK(r.ends[0].time < 1e6);
  CHECK(total < 4.0);
  // At least one call per second during the run (ProgressTracker::interval is 0.2 s), increasing, ending at 1.
  REQUIRE(fractions.size() >= 3);
  CHECK(seconds.front() < 1.0);
  for (std::size_t k = 1; k < seconds.size(); ++k) {
    CHECK(seconds[k] - seconds[k - 1] < 1.0);
    CHECK(fractions[k] > fractions[k - 1]);
  }
  CHECK(fractions.back() == 1.0);
}

TEST_CASE("pure death: the Kaplan-Meier extinction-time curve matches P(tau <= t) = (1 - e^(-mu t))^n") {
  // X -> 0 at rate mu X from n: the extinction time is the maximum of n Exp(mu) lifetimes. Censored at T = 3, where
  // about 40% of runs still have X > 0. Tolerance: 4.5 Greenwood standard errors.
  const double mu = 1.0, n0 = 10, T = 3;
  const auto network =
      sdekit::make_reaction_network({"X"}, {n0}, sdekit::reaction("death", "X -> 0", sdekit::mass_action(mu)));
  sdekit::JumpOptions o;
  o.particles = 20000;
  o.seed = 5;
  o.t1 = T;
  o.observe_dt = T;
  const auto r = sdekit::simulate_ssa(network, o, sdekit::stop_when([](const auto& x) { return x[0] == 0; }));
  const sdekit::SurvivalCurve km = sdekit::first_passage_survival(r.ends);
  CHECK(km.observed == r.count(sdekit::RunOutcome::stopped));
  CHECK(km.censored == r.count(sdekit::RunOutcome::completed));
  CHECK(km.observed + km.censored == o.particles);
  auto exact = [&](double t) { return 1 - std::pow(1 - std::exp(-mu * t), n0); };
  for (double t : {0.5, 1.0, 1.5, 2.0, 2.5, 2.99}) {
    const double se = km.standard_error_at(t);
    INFO("t = " << t << ": KM " << km.at(t) << " exact " << exact(t) << " SE " << se);
    CHECK(se > 0);
    CHECK(std::abs(km.at(t) - exact(t)) < 4.5 * se);
  }
  // The restricted mean E[min(tau, T)] = ∫_0^T S(t) dt against the closed form integrated by Simpson's rule; its
  // standard error is below sqrt(Var min(tau, T) / N) <= T / (2 sqrt(N)).
  double integral = 0;
  const int panels = 3000;
  for (int k = 0; k <= panels; ++k) {
    const double w = (k == 0 || k == panels) ? 1 : (k % 2 ? 4 : 2);
    integral += w * exact(T * k / panels);
  }
  integral *= T / panels / 3;
  CHECK(std::abs(km.restricted_mean(T) - integral) < 4.5 * T / 2 / std::sqrt(static_cast<double>(o.particles)));
  CHECK(km.quantile(0.5) == doctest::Approx(-std::log(1 - std::pow(0.5, 1 / n0)) / mu).epsilon(0.05));
}

TEST_CASE("Kaplan-Meier by hand, with ties and censoring") {
  // Times 1, 2, 2, 2+, 3, 4+: S(1) = 5/6, S(2) = 5/6 · 3/5 = 1/2 (a censoring at 2 is at risk at 2), S(3) = 1/2 · 1/2.
  const auto km = sdekit::kaplan_meier({2, 1, 4, 2, 3, 2}, {true, true, false, false, true, true});
  REQUIRE(km.times == std::vector<double>{1, 2, 3});
  CHECK(km.at(0.5) == 1.0);
  CHECK(km.at(1) == doctest::Approx(5.0 / 6));
  CHECK(km.at(2.5) == doctest::Approx(0.5));
  CHECK(km.at(10) == doctest::Approx(0.25));
  CHECK(km.at_risk == std::vector<std::size_t>{6, 5, 2});
  CHECK(km.events == std::vector<std::size_t>{1, 2, 1});
  // Greenwood at t = 2: S² (1/(6·5) + 2/(5·3)).
  CHECK(km.standard_error_at(2) == doctest::Approx(0.5 * std::sqrt(1.0 / 30 + 2.0 / 15)));
  CHECK(km.quantile(0.5) == 2);
  CHECK(std::isnan(km.quantile(0.9)));
  CHECK(km.restricted_mean(4) == doctest::Approx(1 + 5.0 / 6 + 0.5 + 0.25));
  CHECK(km.observed == 4);
  CHECK(km.censored == 2);
}

TEST_CASE("Brownian first passage through an absorbing level matches 2 Phi(a / sqrt t) - 1") {
  // dX = dW from 0, absorbed at a = 1, Euler steps dt = 1e-3 to T = 1. Monitoring at grid times sees the level
  // shifted by beta sqrt(dt), beta = 0.5826 (Broadie, Glasserman & Kou 1997). Tolerance 4.5 Greenwood SE; a level
  // 10% off moves S(1) by ~10 SE.
  const auto bm = sdekit::make_sde([](double, double) { return 0.0; }, [](double, double) { return 1.0; });
  sdekit::EnsembleOptions o;
  o.particles = 10000;
  o.seed = 11;
  o.t1 = 1;
  o.dt = 1e-3;
  const auto r =
      sdekit::simulate_controlled_ensemble(sdekit::EulerMaruyama{}, bm, 0.0, o, {}, {sdekit::absorbing_above(1.0)});
  const auto km = sdekit::first_passage_survival(r.ends);
  const double level = 1.0 + 0.5826 * std::sqrt(o.dt);
  for (double t : {0.25, 0.5, 0.75, 1.0}) {
    const double exact = 2 * normal_cdf(level / std::sqrt(t)) - 1;
    INFO("t = " << t << ": KM " << km.at(t) << " exact " << exact << " SE " << km.standard_error_at(t));
    CHECK(std::abs(km.at(t) - exact) < 4.5 * km.standard_error_at(t));
  }
  for (const auto& e : r.ends)
    if (e.outcome == sdekit::RunOutcome::stopped) CHECK(e.events >= 1);
  // An absorbed run keeps its state on the level.
  for (std::size_t i = 0; i < o.particles; ++i)
    if (r.ends[i].outcome == sdekit::RunOutcome::stopped) CHECK(r.values[0](0, static_cast<Eigen::Index>(i)) == 1.0);
}

TEST_CASE("a reflecting boundary gives reflected Brownian motion: E|W_1| = sqrt(2/pi)") {
  // Reflection of an Euler step of Brownian motion is exact in law, so only sampling error remains (4.5 SE).
  const auto bm = sdekit::make_sde([](double, double) { return 0.0; }, [](double, double) { return 1.0; });
  sdekit::EnsembleOptions o;
  o.particles = 20000;
  o.seed = 12;
  o.t1 = 1;
  o.dt = 0.01;
  const auto r =
      sdekit::simulate_controlled_ensemble(sdekit::EulerMaruyama{}, bm, 0.0, o, {}, {sdekit::reflecting_below(0.0)});
  CHECK(r.count(sdekit::RunOutcome::completed) == o.particles);
  const auto& s = r.statistics.back();
  CHECK(s.min[0] >= 0);
  CHECK(std::abs(s.mean[0] - std::sqrt(2 / std::numbers::pi)) < 4.5 * s.standard_error()[0]);
  CHECK(std::abs(s.variance[0] - (1 - 2 / std::numbers::pi)) < 0.03);  // SE of the variance ≈ 0.003
  // Two reflecting ends keep every state inside.
  const auto boxed = sdekit::simulate_controlled_ensemble(
      sdekit::EulerMaruyama{}, bm, 0.5, o, {},
      {{0, 0.0, 1.0, sdekit::BoundaryKind::reflecting, sdekit::BoundaryKind::reflecting}});
  CHECK(boxed.statistics.back().min[0] >= 0);
  CHECK(boxed.statistics.back().max[0] <= 1);
  // Uniform stationary law on [0, 1] after time 1 ≫ the mixing time 1/π²: mean 1/2.
  CHECK(std::abs(boxed.statistics.back().mean[0] - 0.5) < 4.5 * boxed.statistics.back().standard_error()[0]);
}

TEST_CASE("controlled SDE runs: a stop predicate, a step cap, reproducibility for 1 and 2 threads") {
  const auto ou = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 0.5; });
  sdekit::EnsembleOptions o;
  o.particles = 300;
  o.seed = 3;
  o.t1 = 2;
  o.dt = 0.01;
  o.block_size = 32;
  auto run = [&](int threads) {
    auto oo = o;
    oo.threads = threads;
    return sdekit::simulate_controlled_ensemble(sdekit::EulerMaruyama{}, ou, 1.0, oo,
                                                sdekit::stop_when([](double x, double) { return x < 0.0; }, 150));
  };
  const auto a = run(1), b = run(2);
  CHECK(same_bits(a.values.back(), b.values.back()));
  CHECK(a.count(sdekit::RunOutcome::stopped) > 0);
  CHECK(a.count(sdekit::RunOutcome::event_limit) > 0);  // 150 steps of 0.01 end before t1 = 2
  for (const auto& e : a.ends) {
    if (e.outcome == sdekit::RunOutcome::event_limit) CHECK(e.events == 150);
    CHECK(e.outcome != sdekit::RunOutcome::completed);
  }
}

TEST_CASE("run control input errors name the argument") {
  const auto network = lotka_volterra();
  const auto o = lv_options(4, 1);
  check_throws_naming(
      [&] {
        (void)sdekit::simulate_ssa(network, o, sdekit::RunControl<>{0, -1.0, {}});
      },
      "max_wall_seconds");
  sdekit::EnsembleOptions so;  // the SDE runs take EnsembleOptions (dt is their step)
  so.particles = 4;
  so.threads = 1;
  so.t1 = 30;
  so.dt = 5;
  const auto bm = sdekit::make_sde([](double, double) { return 0.0; }, [](double, double) { return 1.0; });
  check_throws_naming(
      [&] {
        (void)sdekit::simulate_controlled_ensemble(sdekit::EulerMaruyama{}, bm, 0.0, so, {},
                                                   {sdekit::absorbing_above(1.0, 3)});
      },
      "boundaries[0].component");
  check_throws_naming(
      [&] {
        (void)sdekit::simulate_controlled_ensemble(
            sdekit::EulerMaruyama{}, bm, 0.0, so, {},
            {{0, 1.0, 0.0, sdekit::BoundaryKind::absorbing, sdekit::BoundaryKind::absorbing}});
      },
      "boundaries[0].lower");
  check_throws_naming([] { (void)sdekit::kaplan_meier({1.0}, {true, false}); }, "observed.size()");
  check_throws_naming([] { (void)sdekit::kaplan_meier({}, {}); }, "times.size()");
  check_throws_naming([] { (void)sdekit::kaplan_meier({1.0, NAN}, {true, false}); }, "times[1]");
  const auto km = sdekit::kaplan_meier({1.0}, {true});
  check_throws_naming([&] { (void)km.quantile(1.5); }, "p");
  check_throws_naming([&] { (void)km.restricted_mean(-1); }, "horizon");
  check_throws_naming([&] { (void)network.with_initial_counts({-1.0, 2.0}); }, "count of species 'prey'");
}

TEST_CASE("initial counts are overridable without a new network") {
  const auto network = lotka_volterra();
  const auto other = network.with_initial_counts({7.0, 0.0});
  CHECK(other.initial_counts()[0] == 7);
  CHECK(network.initial_counts()[0] == 50);
  sdekit::JumpOptions o;
  o.particles = 2000;
  o.t1 = 1;
  o.observe_dt = 1;
  // No predators: prey grow as a Yule process, E X(1) = 7 e (4.5 SE).
  const auto r = sdekit::simulate_ssa(other, o);
  const auto& s = r.statistics.back();
  CHECK(std::abs(s.mean[0] - 7 * std::exp(1.0)) < 4.5 * s.standard_error()[0]);
  // The dependency graph: predation changes prey and predator, so it affects every reaction; prey birth does not
  // affect predator death.
  CHECK(network.affects(1, 0));
  CHECK(network.affects(1, 2));
  CHECK(!network.affects(0, 2));
  CHECK(network.affects(0, 0));
  check_throws_naming([&] { (void)network.affects(3, 0); }, "j");
}
