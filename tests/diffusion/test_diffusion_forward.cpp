// Forward SDEs of score-based models: Song et al. 2021 defaults, the marginal moments against the moment ODEs
// da/dt = f a, dσ²/dt = 2 f σ² + g² (checked by finite differences), a simulated forward ensemble, and errors.
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

using sdekit_test::check_throws_naming;
using namespace sdekit;

namespace {

/// The transition moments must solve the moment ODEs of dx = f(t) x dt + g(t) dW.
template <class P>
void check_moment_odes(const P& p, const std::string& name) {
  for (double t : {0.05, 0.3, 0.5, 0.9}) {
    const double h = 1e-5;
    const double a = p.mean_coefficient(t), s = p.marginal_std(t);
    const double da = (p.mean_coefficient(t + h) - p.mean_coefficient(t - h)) / (2 * h);
    const double ds2 = (std::pow(p.marginal_std(t + h), 2) - std::pow(p.marginal_std(t - h), 2)) / (2 * h);
    INFO(name << " t = " << t);
    CHECK(da == doctest::Approx(p.drift_coefficient(t) * a).epsilon(1e-7));
    CHECK(ds2 == doctest::Approx(2 * p.drift_coefficient(t) * s * s + p.g(t) * p.g(t)).epsilon(1e-7));
  }
  CHECK(p.mean_coefficient(0.0) == 1.0);
  CHECK(p.marginal_std(0.0) == 0.0);
}

}  // namespace

TEST_CASE("Song et al. 2021 defaults and closed forms") {
  const VpSde<> vp;
  CHECK(vp.beta(0.0) == doctest::Approx(0.1));
  CHECK(vp.beta(1.0) == doctest::Approx(20.0));
  // ∫₀¹ β = 0.1 + 19.9/2 = 10.05.
  CHECK(vp.mean_coefficient(1.0) == doctest::Approx(std::exp(-0.5 * 10.05)));
  for (double t : {0.1, 0.5, 1.0})  // variance preserving: a² + σ² = 1
    CHECK(std::pow(vp.mean_coefficient(t), 2) + std::pow(vp.marginal_std(t), 2) == doctest::Approx(1.0));
  const SubVpSde<> sub;
  for (double t : {0.1, 0.5, 1.0}) {
    CHECK(sub.marginal_std(t) <= vp.marginal_std(t));
    CHECK(sub.marginal_std(t) == doctest::Approx(1 - std::exp(-vp.schedule().integral(t))));
  }
  const VeSde ve;
  CHECK(ve.sigma(0.0) == doctest::Approx(0.01));
  CHECK(ve.sigma(1.0) == doctest::Approx(50.0));
  CHECK(ve.marginal_std(1.0) == doctest::Approx(std::sqrt(2500.0 - 1e-4)));
  CHECK(ve.prior_std() == 50.0);
  CHECK(ve.g(0.5) == doctest::Approx(ve.sigma(0.5) * std::sqrt(2 * std::log(5000.0))));
  check_moment_odes(vp, "VP");
  check_moment_odes(sub, "sub-VP");
  check_moment_odes(ve, "VE");
  // A custom β(t) given as a function agrees with the closed form of the same linear schedule …
  const auto custom = make_vp_sde([](double t) { return 0.1 + 19.9 * t; });
  for (double t : {0.2, 0.7, 1.0})
    CHECK(custom.mean_coefficient(t) == doctest::Approx(vp.mean_coefficient(t)).epsilon(1e-12));
  // … and a non-linear one satisfies the moment ODEs too.
  check_moment_odes(make_vp_sde([](double t) { return 0.5 + 10 * t * t; }), "custom VP");
  check_moment_odes(make_sub_vp_sde([](double t) { return 1.0 + std::sin(3 * t); }), "custom sub-VP");
  // The exact transition composes: x_t = α x_s + G z reproduces σ_t² from σ_s².
  const auto [alpha, G] = vp.transition(0.3, 0.6);
  CHECK(alpha * alpha * std::pow(vp.marginal_std(0.3), 2) + G * G ==
        doctest::Approx(std::pow(vp.marginal_std(0.6), 2)));
}

TEST_CASE("a simulated forward VP ensemble matches the marginal p_t(x | x0)") {
  const VpSde<> vp;
  auto problem =
      make_sde([&](double x, double t) { return vp.drift(x, t); }, [&](double, double t) { return vp.g(t); }, additive);
  EnsembleOptions o;
  o.particles = 20000;
  o.dt = 1e-3;
  o.t1 = 0.5;
  o.seed = 3;
  const auto r = simulate_ensemble(EulerMaruyama{}, problem, 2.0, o);
  const double m = 2.0 * vp.mean_coefficient(0.5), s = vp.marginal_std(0.5), n = 20000;
  CHECK(std::abs(r.statistics[0].mean[0] - m) < 4.5 * s / std::sqrt(n));
  CHECK(std::abs(r.statistics[0].variance[0] - s * s) < 4.5 * s * s * std::sqrt(2 / n));
  // Sampling the marginal and the prior directly.
  double sum = 0, sum2 = 0;
  for (std::size_t i = 0; i < 20000; ++i) {
    RandomStream rng(5, i);
    const double x = vp.sample_marginal(2.0, 0.5, rng);
    sum += x;
    sum2 += x * x;
  }
  CHECK(std::abs(sum / n - m) < 4.5 * s / std::sqrt(n));
  CHECK(std::abs(sum2 / n - std::pow(sum / n, 2) - s * s) < 4.5 * s * s * std::sqrt(2 / n));
  RandomStream rng(1, 0);
  const Eigen::Vector3d prior = VeSde().sample_prior(rng, Eigen::Vector3d::Zero().eval());
  CHECK(prior.allFinite());
}

TEST_CASE("forward SDE bad input names the argument") {
  check_throws_naming([] { VeSde(50.0, 0.01); }, "sigma_min");
  check_throws_naming([] { VeSde(1.0, 1.0); }, "sigma_min");
  check_throws_naming([] { VeSde(-1.0, 1.0); }, "sigma_min");
  check_throws_naming([] { VeSde(0.01, 50.0, 0.0); }, "T");
  check_throws_naming([] { VpSde<>(LinearBeta{20.0, 0.1, 1.0}); }, "beta_min");
  check_throws_naming([] { VpSde<>(LinearBeta{-1.0, 20.0, 1.0}); }, "beta_min");
  check_throws_naming([] { SubVpSde<>(LinearBeta{0.1, 20.0, -1.0}); }, "T");
  check_throws_naming([] { make_vp_sde([](double) { return 1.0; }, 0.0); }, "T");
}
