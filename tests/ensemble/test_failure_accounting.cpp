// The failure-accounting promise at scale (issue 18): 10^5 particles of which 1 % fail in four different ways —
// blow-up, a throwing drift, a NaN drift, leaving the domain. At every save, alive + failed = N; the failed
// particles are exactly the designed ones, each with its reason; every other particle is bitwise equal to a run in
// which nobody fails.
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

enum class Fate { survives, blows_up, throws, turns_nan, leaves_domain };

// Particle i fails iff i % 100 == 37, the way chosen by (i / 100) % 4: 1 % of the particles, a quarter each way.
Fate fate_of(std::size_t i, bool with_failures) {
  if (!with_failures || i % 100 != 37) return Fate::survives;
  return static_cast<Fate>(1 + (i / 100) % 4);
}

// Ornstein–Uhlenbeck for survivors; the failing particles get an extra term that fails them after t = 0.3.
struct Drift {
  Fate fate;
  double operator()(double x, double t) const {
    const double ou = -x;
    if (fate == Fate::survives || t < 0.3) return ou;
    switch (fate) {
      case Fate::blows_up:
        return std::exp(1e3 * (1.0 + x * x));  // overflows to inf before x can leave the domain
      case Fate::throws:
        throw std::runtime_error("drift refused at t = 0.3");
      case Fate::turns_nan:
        return std::numeric_limits<double>::quiet_NaN();
      default:
        return 1e4;  // leaves_domain: pushed past |x| < 5 within one step
    }
  }
};
struct Diffusion {
  double operator()(double, double) const { return 0.5; }
};

auto run(std::size_t n, bool with_failures) {
  sdekit::EnsembleOptions o;
  o.particles = n;
  o.seed = 2026;
  o.dt = 0.01;
  o.save_times = {0.1, 0.3, 0.31, 0.5, 1.0};
  const auto problem = sdekit::per_particle(
      [with_failures](std::size_t i) { return sdekit::make_sde(Drift{fate_of(i, with_failures)}, Diffusion{}); });
  const auto inside = [](double x) { return std::abs(x) < 5.0; };
  return sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, problem, 0.0, o, inside);
}

}  // namespace

TEST_CASE("10^5 particles, 1 % failing four ways: accounting at every save, survivors bitwise unaffected") {
  const std::size_t n = sdekit_test::scaled(100000, 4000);
  const auto with = run(n, true);
  const auto without = run(n, false);
  REQUIRE(without.failures.empty());

  // Exactly the designed particles failed, each for its reason, after t = 0.3.
  std::size_t expected_failures = 0;
  for (std::size_t i = 0; i < n; ++i) expected_failures += fate_of(i, true) != Fate::survives;
  REQUIRE(with.failures.size() == expected_failures);
  std::size_t per_fate[5] = {0, 0, 0, 0, 0};
  for (const auto& f : with.failures) {
    const Fate fate = fate_of(f.index, true);
    REQUIRE(fate != Fate::survives);
    ++per_fate[static_cast<int>(fate)];
    CHECK(f.time >= 0.3 - 1e-12);
    CHECK(std::isfinite(f.last_state));
    switch (fate) {
      case Fate::blows_up:
      case Fate::turns_nan:
        CHECK(f.reason == "non-finite state");
        break;
      case Fate::throws:
        CHECK(f.reason == "drift refused at t = 0.3");
        break;
      default:
        CHECK(f.reason == "left the domain");
    }
  }
  for (int fate = 1; fate <= 4; ++fate) CHECK(per_fate[fate] >= expected_failures / 4);

  // alive + failed-before-the-save = N at every save time.
  for (std::size_t s = 0; s < with.save_times.size(); ++s) {
    std::size_t failed_before = 0;
    for (const auto& f : with.failures) failed_before += f.time < with.save_times[s];
    CAPTURE(with.save_times[s]);
    CHECK(with.statistics[s].alive + failed_before == n);
    std::size_t finite_columns = 0;
    for (double v : with.component_values(s)) finite_columns += !std::isnan(v);
    CHECK(finite_columns == with.statistics[s].alive);
  }

  // Every survivor is bitwise equal to the run without failures, at every save.
  std::size_t compared = 0, differing = 0;
  for (std::size_t s = 0; s < with.save_times.size(); ++s) {
    const auto a = with.component_values(s), b = without.component_values(s);
    for (std::size_t i = 0; i < n; ++i) {
      if (fate_of(i, true) != Fate::survives) continue;
      ++compared;
      differing += std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i]);
    }
  }
  CHECK(compared == (n - expected_failures) * with.save_times.size());
  CHECK(differing == 0);
}
