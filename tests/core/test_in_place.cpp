// In-place functors a(x, t, out), b(x, t, out) for large states: they give the bits of the same functors written
// to return their value, with Euler–Maruyama, Milstein and stochastic Heun, through integrate and through
// simulate_ensemble; and a step allocates nothing. This executable counts every malloc, calloc and realloc of the
// program (glibc: its own definitions forward to __libc_malloc & co.; operator new and Eigen both end in malloc) and
// shows that the allocations of a run do not grow with its number of steps, while the same problem written with
// returning functors allocates at every step (so the counter sees what it should).
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>
#include <sdekit/solvers/stochastic_heun.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "count_malloc.hpp"

namespace {

using V = Eigen::VectorXd;

constexpr int n = 64;          // grid points of the stochastic heat equation
constexpr double kappa = 0.5;  // diffusivity, in units where the grid spacing is 1/(n+1)
constexpr double sigma = 0.3;  // multiplicative noise σ·u_i dW_i (diagonal), so Milstein's correction is exercised

// du_i = κ (n+1)² (u_{i−1} − 2u_i + u_{i+1}) dt + σ u_i dW_i, u_0 = u_{n+1} = 0: written in place ...
void heat_drift(const V& u, double, V& out) {
  const double c = kappa * (n + 1) * (n + 1);
  const Eigen::Index last = u.size() - 1;
  out[0] = c * (-2.0 * u[0] + u[1]);
  for (Eigen::Index i = 1; i < last; ++i) out[i] = c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
  out[last] = c * (u[last - 1] - 2.0 * u[last]);
}
void heat_diffusion(const V& u, double, V& out) { out = sigma * u; }

// ... and the same functions returning their value.
V heat_drift_value(const V& u, double t) {
  V out(u.size());
  heat_drift(u, t, out);
  return out;
}
V heat_diffusion_value(const V& u, double) { return sigma * u; }

V initial_state() {
  V u(n);
  for (int i = 0; i < n; ++i) u[i] = std::sin(3.14159 * (i + 1) / (n + 1));
  return u;
}

auto in_place_problem() {
  return sdekit::make_sde([](const V& u, double t, V& out) { heat_drift(u, t, out); },
                          [](const V& u, double t, V& out) { heat_diffusion(u, t, out); });
}
auto value_problem() { return sdekit::make_sde(heat_drift_value, heat_diffusion_value); }
auto in_place_stratonovich() {
  return sdekit::make_sde([](const V& u, double t, V& out) { heat_drift(u, t, out); },
                          [](const V& u, double t, V& out) { heat_diffusion(u, t, out); }, sdekit::stratonovich);
}
auto value_stratonovich() { return sdekit::make_sde(heat_drift_value, heat_diffusion_value, sdekit::stratonovich); }

bool same_bits(const V& a, const V& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(double) * a.size()) == 0;
}

constexpr double dt = 1e-4;  // below the explicit stability limit 1/(2κ(n+1)²) ≈ 2.4e-4

// Allocations made by integrate over `steps` steps (the counting starts after x is built).
template <class S, class P>
long integrate_allocations(const S& stepper, const P& problem, std::size_t steps, V* result = nullptr) {
  V x = initial_state();
  S s = stepper;
  const long before = allocations.load();
  sdekit::integrate(s, problem, x, 0.0, static_cast<double>(steps) * dt, dt, sdekit::GaussianNoise(11, 3));
  const long used = allocations.load() - before;
  if (result) *result = x;
  return used;
}

template <class S, class P>
long ensemble_allocations(const S& stepper, const P& problem, std::size_t steps, int threads, V* mean = nullptr) {
  sdekit::EnsembleOptions options;
  options.particles = 40;
  options.block_size = 16;
  options.seed = 5;
  options.dt = dt;
  options.t1 = static_cast<double>(steps) * dt;
  options.threads = threads;
  const V x0 = initial_state();
  const long before = allocations.load();
  const auto result = sdekit::simulate_ensemble(stepper, problem, x0, options);
  const long used = allocations.load() - before;
  REQUIRE(result.failures.empty());
  if (mean) *mean = result.statistics.back().mean;
  return used;
}

template <class S, class InPlace, class Value>
void check_scheme(const S& stepper, const InPlace& in_place, const Value& value) {
  static_assert(sdekit::in_place_drift_v<InPlace, V> && sdekit::in_place_diffusion_v<InPlace, V>);
  static_assert(!sdekit::in_place_drift_v<Value, V> && !sdekit::in_place_diffusion_v<Value, V>);
  static_assert(sdekit::noise_kind_v<InPlace, V> == sdekit::NoiseKind::diagonal);

  // The same bits as the returning functors.
  V a, b;
  integrate_allocations(stepper, in_place, 200, &a);
  integrate_allocations(stepper, value, 200, &b);
  CHECK(same_bits(a, b));
  CHECK(a.allFinite());

#ifndef SDEKIT_TEST_COUNTS_MALLOC
  MESSAGE("allocations are not counted in this build (not glibc, or a sanitizer)");
  return;
#endif
  // Allocations do not grow with the steps: the step loop allocates nothing (the rest is the run's setup).
  integrate_allocations(stepper, in_place, 3);  // this thread's step buffers exist from here on
  const long short_run = integrate_allocations(stepper, in_place, 10);
  const long long_run = integrate_allocations(stepper, in_place, 1000);
  CAPTURE(short_run);
  CHECK(long_run == short_run);
  // The counter sees per-step allocations where there are some: the returning functors allocate every step.
  const long value_short = integrate_allocations(stepper, value, 10);
  const long value_long = integrate_allocations(stepper, value, 1000);
  CHECK(value_long - value_short >= 990);
  MESSAGE("allocations of integrate over 10 / 1000 steps: in place "
          << short_run << " / " << long_run << ", returning functors " << value_short << " / " << value_long);

  for (int threads : {1, 2}) {
    CAPTURE(threads);
    V mean_in_place, mean_value;
    ensemble_allocations(stepper, in_place, 3, threads);
    const long e_short = ensemble_allocations(stepper, in_place, 10, threads);
    const long e_long = ensemble_allocations(stepper, in_place, 500, threads, &mean_in_place);
    CHECK(e_long == e_short);
    ensemble_allocations(stepper, value, 500, threads, &mean_value);
    CHECK(same_bits(mean_in_place, mean_value));
  }
}

}  // namespace

TEST_CASE("Euler-Maruyama with in-place functors: same bits, no allocation per step") {
  check_scheme(sdekit::EulerMaruyama{}, in_place_problem(), value_problem());
}

TEST_CASE("Milstein with in-place functors: same bits, no allocation per step") {
  check_scheme(sdekit::Milstein{}, in_place_problem(), value_problem());
  check_scheme(sdekit::Milstein{}, in_place_stratonovich(), value_stratonovich());
}

TEST_CASE("stochastic Heun with in-place functors: same bits, no allocation per step") {
  check_scheme(sdekit::StochasticHeun{}, in_place_stratonovich(), value_stratonovich());
}

TEST_CASE("an in-place drift may be mixed with a returning diffusion") {
  const auto mixed =
      sdekit::make_sde([](const V& u, double t, V& out) { heat_drift(u, t, out); }, heat_diffusion_value);
  static_assert(sdekit::in_place_drift_v<decltype(mixed), V> && !sdekit::in_place_diffusion_v<decltype(mixed), V>);
  V a, b;
  integrate_allocations(sdekit::EulerMaruyama{}, mixed, 50, &a);
  integrate_allocations(sdekit::EulerMaruyama{}, value_problem(), 50, &b);
  CHECK(same_bits(a, b));
}

TEST_CASE("an in-place drift that resizes its output is an error naming the size") {
  const auto bad = sdekit::make_sde([](const V& u, double, V& out) { out = V::Zero(u.size() + 1); },
                                    [](const V& u, double t, V& out) { heat_diffusion(u, t, out); });
  V x = initial_state();
  sdekit::EulerMaruyama em;
  try {
    sdekit::integrate(em, bad, x, 0.0, 10 * dt, dt, sdekit::GaussianNoise(1));
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("size of a(x, t)") != std::string::npos);
  }
}
