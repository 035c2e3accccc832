// DDPM / DDIM / EDM: schedules against their definitions, the exact reverse kernel reproducing every marginal,
// the known biases of the fixed-small (β̃) and fixed-large (β) variances, DDIM and EDM-Heun convergence, errors.
#include <sdekit/diffusion/ddpm.hpp>
#include <sdekit/diffusion/scores.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;
using M1 = Eigen::Matrix<double, 1, 1>;

namespace {

// 1-D Gaussian data N(m, v) through a DDPM schedule: q(x_t) = N(√ᾱ_t m, ᾱ_t v + 1 − ᾱ_t).
constexpr double data_m = 1.5, data_v = 0.05;
double marginal_var(const DdpmSchedule& q, std::size_t t) { return q.alpha_bar(t) * data_v + 1 - q.alpha_bar(t); }

/// The exact reverse kernel's variance for Gaussian data: β̃ + c² Var(x0 | x_t), c = √ᾱ_s β/(1 − ᾱ_t).
struct ExactGaussianVariance {
  double operator()(const DdpmSchedule& q, std::size_t t, std::size_t s) const {
    const double beta = 1 - q.alpha_bar(t) / q.alpha_bar(s);
    const double c = std::sqrt(q.alpha_bar(s)) * beta / (1 - q.alpha_bar(t));
    const double posterior_var_x0 = data_v * (1 - q.alpha_bar(t)) / marginal_var(q, t);
    return DdpmFixedSmall{}(q, t, s) + c * c * posterior_var_x0;
  }
};

/// The variance a DDPM chain with variance rule `var` ends with on this data (the update is affine in x).
template <class Variance>
double ddpm_chain_variance(const DdpmSchedule& q, const std::vector<double>& times, const Variance& var) {
  double V = marginal_var(q, q.steps());
  for (std::size_t k = 0; k + 1 < times.size(); ++k) {
    const auto t = std::size_t(times[k]), s = std::size_t(times[k + 1]);
    const double alpha = q.alpha_bar(t) / q.alpha_bar(s), beta = 1 - alpha;
    const double A = (1 - beta / marginal_var(q, t)) / std::sqrt(alpha);
    V = A * A * V + (k + 2 < times.size() ? var(q, t, s) : 0.0);
  }
  return V;
}

/// The variance DDIM with η = 0 ends with on this data.
double ddim_chain_variance(const DdpmSchedule& q, const std::vector<double>& times) {
  double V = marginal_var(q, q.steps());
  for (std::size_t k = 0; k + 1 < times.size(); ++k) {
    const auto t = std::size_t(times[k]), s = std::size_t(times[k + 1]);
    const double at = q.alpha_bar(t), as = q.alpha_bar(s), C = marginal_var(q, t);
    const double A = std::sqrt(as / at) * (1 - (1 - at) / C) + std::sqrt((1 - as) * (1 - at)) / C;
    V = A * A * V;
  }
  return V;
}

auto exact_prior(const DdpmSchedule& q) {
  const double m = std::sqrt(q.alpha_bar(q.steps())) * data_m, sd = std::sqrt(marginal_var(q, q.steps()));
  return [m, sd](std::size_t, RandomStream& rng) { return m + sd * rng.normal(); };
}

}  // namespace

TEST_CASE("beta schedules follow their definitions") {
  const DdpmSchedule lin = linear_beta_schedule();
  CHECK(lin.steps() == 1000);
  CHECK(lin.beta(1) == doctest::Approx(1e-4).epsilon(1e-12));
  CHECK(lin.beta(1000) == doctest::Approx(0.02).epsilon(1e-12));
  // ᾱ_N = Π(1 − β_t) ≈ exp(−Σβ − Σβ²/2): Σβ = 10.05, Σβ²/2 ≈ 0.0671 → 4.04e-5.
  CHECK(lin.alpha_bar(1000) == doctest::Approx(std::exp(-10.05 - 0.0671)).epsilon(2e-3));
  const DdpmSchedule cos = cosine_beta_schedule();
  auto f = [](double t) { return std::pow(std::cos((t / 1000 + 0.008) / 1.008 * M_PI / 2), 2); };
  for (std::size_t t : {1, 250, 500, 900}) CHECK(cos.alpha_bar(t) == doctest::Approx(f(t) / f(0)).epsilon(1e-10));
  CHECK(cos.beta(1000) == 0.999);  // capped
  CHECK(cos.posterior_variance(1) == 0.0);
  CHECK(lin.posterior_variance(500) < lin.beta(500));
  // Process interface for exact scores.
  CHECK(lin.mean_coefficient(300.0) == doctest::Approx(std::sqrt(lin.alpha_bar(300))));
  CHECK(lin.marginal_std(300.0) == doctest::Approx(std::sqrt(1 - lin.alpha_bar(300))));
}

TEST_CASE("forward noising q(x_t | x0) has mean sqrt(abar) x0 and variance 1 - abar") {
  const DdpmSchedule q = linear_beta_schedule();
  const std::size_t n = 20000, t = 300;
  double sum = 0, sum2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    RandomStream rng(1, i);
    const double x = q.sample_marginal(2.0, t, rng);
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / n, var = sum2 / n - mean * mean, v = 1 - q.alpha_bar(t);
  CHECK(std::abs(mean - 2.0 * std::sqrt(q.alpha_bar(t))) < 4.5 * std::sqrt(v / n));
  CHECK(std::abs(var - v) < 4.5 * v * std::sqrt(2.0 / n));
}

TEST_CASE("DDPM with the exact reverse kernel reproduces every marginal; beta-tilde and beta are biased as known") {
  const DdpmSchedule q = linear_beta_schedule();
  const GaussianScore<DdpmSchedule, 1> score(q, M1(data_m), M1(data_v));
  const auto eps = noise_predictor_from_score(score, q);
  ReverseSampleOptions o;
  o.particles = 20000;
  o.seed = 9;
  o.steps = 1000;
  o.save_times = {900, 700, 500, 300, 100, 10, 1};
  const auto exact = sample_ddpm(q, eps, exact_prior(q), o, ExactGaussianVariance{});
  CHECK(exact.score_evaluations == o.particles * 1000);
  const double n = double(o.particles);
  for (std::size_t i = 0; i < exact.ensemble.save_times.size(); ++i) {
    const auto t = std::size_t(exact.ensemble.save_times[i]);
    const auto& st = exact.ensemble.statistics[i];
    const double m = std::sqrt(q.alpha_bar(t)) * data_m, v = marginal_var(q, t);
    INFO("t = " << t << ": mean " << st.mean[0] << " vs " << m << ", var " << st.variance[0] << " vs " << v);
    CHECK(std::abs(st.mean[0] - m) < 4.5 * std::sqrt(v / n));
    CHECK(std::abs(st.variance[0] - v) < 4.5 * v * std::sqrt(2.0 / n));
  }
  // Fixed variances: for data variance 0.05 < 1, β̃ under-disperses and β over-disperses (Ho et al. 2020, §3.2:
  // β is optimal for N(0, I) data, β̃ for a point mass). Use 50 of the 1000 steps, where the bias is large; the
  // sampled variance must match the chain's exact variance and lie on the predicted side of the data's.
  o.steps = 50;
  o.save_times.clear();
  const std::vector<double> times = ddpm_timesteps(q, o.steps);
  const double v_small = ddpm_chain_variance(q, times, DdpmFixedSmall{});
  const double v_large = ddpm_chain_variance(q, times, DdpmFixedLarge{});
  MESSAGE("final variance with 50 steps: fixed-small " << v_small << ", fixed-large " << v_large << ", data "
                                                       << data_v);
  const double se = data_v * std::sqrt(2.0 / n);
  CHECK(v_small < data_v - 5 * se);
  CHECK(v_large > data_v + 5 * se);
  const auto small = sample_ddpm(q, eps, exact_prior(q), o, DdpmFixedSmall{});
  const auto large = sample_ddpm(q, eps, exact_prior(q), o, DdpmFixedLarge{});
  CHECK(std::abs(small.statistics().variance[0] - v_small) < 4.5 * v_small * std::sqrt(2.0 / n));
  CHECK(std::abs(large.statistics().variance[0] - v_large) < 4.5 * v_large * std::sqrt(2.0 / n));
  CHECK(small.statistics().variance[0] < data_v - 4 * se);
  CHECK(large.statistics().variance[0] > data_v + 4 * se);
  // Means are unbiased under both.
  CHECK(std::abs(small.statistics().mean[0] - data_m) < 4.5 * std::sqrt(data_v / n));
  CHECK(std::abs(large.statistics().mean[0] - data_m) < 4.5 * std::sqrt(data_v / n));
}

TEST_CASE("DDIM: eta = 0 is deterministic and converges to the data; eta = 1 equals DDPM with beta-tilde in law") {
  const DdpmSchedule q = linear_beta_schedule();
  const GaussianScore<DdpmSchedule, 1> score(q, M1(data_m), M1(data_v));
  const auto eps = noise_predictor_from_score(score, q);
  ReverseSampleOptions o;
  o.particles = 20000;
  o.seed = 4;
  o.steps = 100;
  const auto d0 = sample_ddim(q, eps, exact_prior(q), o, 0.0);
  const double n = double(o.particles);
  CHECK(std::abs(d0.statistics().mean[0] - data_m) < 4.5 * std::sqrt(data_v / n));
  // The samples follow the deterministic chain's exact variance, which converges to the data's with the steps.
  const double v100 = ddim_chain_variance(q, ddpm_timesteps(q, 100));
  const double v1000 = ddim_chain_variance(q, ddpm_timesteps(q, 1000));
  MESSAGE("DDIM eta=0 final variance: 100 steps " << v100 << ", 1000 steps " << v1000 << ", data " << data_v);
  CHECK(std::abs(d0.statistics().variance[0] - v100) < 4.5 * v100 * std::sqrt(2.0 / n));
  CHECK(std::abs(v1000 - data_v) < 0.2 * std::abs(v100 - data_v));
  CHECK(std::abs(v1000 - data_v) < 2 * data_v * std::sqrt(2.0 / n));
  // Deterministic: the same x_T gives the same sample whatever the seed of the (unused) noise.
  ReverseSampleOptions o2 = o;
  o2.particles = 5;
  const auto a = sample_ddim(q, eps, 0.3, o2, 0.0);
  CHECK(a.samples().cwiseEqual(a.samples()(0, 0)).all());
  const auto d1 = sample_ddim(q, eps, exact_prior(q), o, 1.0);
  const std::vector<double> times = ddpm_timesteps(q, o.steps);
  const double v_small = ddpm_chain_variance(q, times, DdpmFixedSmall{});
  CHECK(std::abs(d1.statistics().variance[0] - v_small) < 4.5 * v_small * std::sqrt(2.0 / n));
}

TEST_CASE("EDM: Karras sigmas follow eq. 5 and Heun converges at second order to the exact flow map") {
  const std::vector<double> s = karras_sigmas(10);
  REQUIRE(s.size() == 11);
  CHECK(s[0] == doctest::Approx(80.0));
  CHECK(s[9] == doctest::Approx(0.002));
  CHECK(s[10] == 0.0);
  const double mid =
      std::pow(std::pow(80.0, 1 / 7.0) + 4.0 / 9.0 * (std::pow(0.002, 1 / 7.0) - std::pow(80.0, 1 / 7.0)), 7);
  CHECK(s[4] == doctest::Approx(mid).epsilon(1e-12));
  const GaussianScore<SigmaProcess, 1> score(SigmaProcess{}, M1(data_m), M1(data_v));
  ReverseSampleOptions o;
  o.particles = 50;
  o.seed = 2;
  o.save_times = {80.0};
  auto prior = [](std::size_t, RandomStream& rng) { return 80.0 * rng.normal(); };
  std::vector<double> errors;
  for (std::size_t steps : {32, 64, 128}) {
    const auto run = sample_edm_heun(score, prior, karras_sigmas(steps), o);
    CHECK(run.score_evaluations == o.particles * (2 * steps - 1));
    double e = 0;
    for (Eigen::Index j = 0; j < run.samples().cols(); ++j) {
      const double x80 = run.ensemble.values.front()(0, j);
      // The flow from σ = 80 to σ = 0 on N(m, v) data: m + sqrt(v/(v + 80²)) (x − m).
      e = std::max(e, std::abs(run.samples()(0, j) - (data_m + std::sqrt(data_v / (data_v + 6400)) * (x80 - data_m))));
    }
    errors.push_back(e);
  }
  const double order = std::log2(errors[1] / errors[2]);
  MESSAGE("EDM Heun errors " << errors[0] << " " << errors[1] << " " << errors[2] << ", order " << order);
  CHECK(order > 1.7);
  CHECK(order < 2.5);
}

TEST_CASE("DDPM, DDIM and EDM bad input") {
  check_throws_naming([] { DdpmSchedule({0.1, 1.0}); }, "betas[1]");
  check_throws_naming([] { DdpmSchedule({-0.1}); }, "betas[0]");
  check_throws_naming([] { DdpmSchedule(std::vector<double>{}); }, "betas.size()");
  check_throws_naming([] { linear_beta_schedule(0); }, "steps");
  check_throws_naming([] { linear_beta_schedule(10, 0.1, 0.01); }, "beta_end");
  check_throws_naming([] { cosine_beta_schedule(10, -1.0); }, "s");
  check_throws_naming([] { cosine_beta_schedule(10, 0.008, 1.0); }, "max_beta");
  check_throws_naming([] { karras_sigmas(10, 80.0, 0.002); }, "sigma_min");
  check_throws_naming([] { karras_sigmas(1); }, "steps");
  check_throws_naming([] { karras_sigmas(10, 0.002, 80.0, 0.0); }, "rho");
  const DdpmSchedule q = linear_beta_schedule(100);
  auto eps = [](double x, double) { return x; };
  ReverseSampleOptions o;
  o.particles = 4;
  o.steps = 101;
  check_throws_naming([&] { sample_ddpm(q, eps, 0.0, o); }, "steps");
  o.steps = 10;
  check_throws_naming([&] { sample_ddim(q, eps, 0.0, o, 1.5); }, "eta");
  check_throws_naming([&] { sample_edm_heun(eps, 0.0, std::vector<double>{1.0, 2.0, 0.0}, o); }, "sigmas[1]");
  auto nan_eps = [](double, double) { return NAN; };
  const auto r = sample_ddpm(q, nan_eps, 0.0, o);
  CHECK(r.ensemble.failures.size() == 4);
}
