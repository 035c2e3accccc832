// Reverse-time samplers against known distributions: Gaussian data through VP, sub-VP and VE (reverse SDE,
// predictor–corrector, probability-flow ODE), the PF-ODE's exact affine map and its order, a 1-D Gaussian mixture
// (KS test and mode masses), thread-count reproducibility, and every bad input.
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/solvers/stochastic_heun.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;
using V2 = Eigen::Vector2d;
using M2 = Eigen::Matrix2d;

namespace {

const V2 data_mean(1.0, -0.5);
M2 data_covariance() {
  M2 c;
  c << 1.0, 0.6, 0.6, 0.5;
  return c;
}

/// Sampler of the exact p_T of the Gaussian data, so that only the sampler's own error remains.
template <class Score>
auto exact_marginal_sampler(const Score& score, double t) {
  const V2 m = score.marginal_mean(t);
  const M2 l = score.marginal_covariance(t).llt().matrixL();
  return [m, l](std::size_t, RandomStream& rng) {
    const V2 z(rng.normal(), rng.normal());
    return V2(m + l * z);
  };
}

/// Asserts that the final samples have mean and covariance of N(mean, cov) within `k` standard errors, where the
/// standard error of a sample covariance entry of Gaussian data is sqrt((C_ii C_jj + C_ij²)/n).
void check_gaussian(const SaveStatistics& st, const V2& mean, const M2& cov, double k, const std::string& label) {
  const double n = static_cast<double>(st.alive);
  for (int i = 0; i < 2; ++i) {
    const double z = (st.mean[i] - mean[i]) / std::sqrt(cov(i, i) / n);
    INFO(label << " mean[" << i << "] z = " << z);
    CHECK(std::abs(z) < k);
    for (int j = 0; j <= i; ++j) {
      const double se = std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / n);
      const double zc = (st.covariance(i, j) - cov(i, j)) / se;
      INFO(label << " cov(" << i << "," << j << ") z = " << zc);
      CHECK(std::abs(zc) < k);
    }
  }
}

enum class Scheme { euler_maruyama, predictor_corrector };

/// The exact law of the discrete chain a sampler runs on Gaussian data: with the exact score every update is
/// affine plus Gaussian noise, independently along each eigenvector of Σ, so mean and variance propagate in
/// closed form. This separates the scheme's discretisation bias (computed here) from sampling error (tested).
template <class Forward>
std::pair<V2, M2> chain_law(const Forward& forward, std::size_t steps, double epsilon, Scheme scheme,
                            double snr = 0.16) {
  Eigen::SelfAdjointEigenSolver<M2> eig(data_covariance());
  const M2 v = eig.eigenvectors();
  const V2 lambda = eig.eigenvalues(), m = v.transpose() * data_mean;
  const double T = forward.end_time();
  auto C = [&](int i, double t) {
    const double a = forward.mean_coefficient(t), s = forward.marginal_std(t);
    return a * a * lambda[i] + s * s;
  };
  V2 mean, var;
  for (int i = 0; i < 2; ++i) {
    mean[i] = forward.mean_coefficient(T) * m[i];
    var[i] = C(i, T);
  }
  for (std::size_t k = 0; k < steps; ++k) {
    const double t = T - double(k) * (T - epsilon) / double(steps);
    const double s = k + 1 == steps ? epsilon : T - double(k + 1) * (T - epsilon) / double(steps);
    const bool last = k + 1 == steps;
    const double at = forward.mean_coefficient(t);
    for (int i = 0; i < 2; ++i) {
      // x ← A x + B + noise with Var(noise) = N, the score being −(x − a_t m)/C_t.
      auto apply = [&](double A, double B, double N) {
        mean[i] = A * mean[i] + B;
        var[i] = A * A * var[i] + N;
      };
      if (scheme == Scheme::euler_maruyama) {
        const double h = t - s, g = forward.g(t), f = forward.drift_coefficient(t);
        apply(1.0 - h * (g * g / C(i, t) + f), h * g * g * at * m[i] / C(i, t), last ? 0.0 : g * g * h);
      } else {
        const auto [alpha, G] = forward.transition(s, t);
        const double sig = forward.marginal_std(t);
        const double eps = 2.0 * alpha * alpha * snr * snr * sig * sig;
        apply(1.0 - eps / C(i, t), eps * at * m[i] / C(i, t), 2.0 * eps);
        apply(2.0 - alpha - G * G / C(i, t), G * G * at * m[i] / C(i, t), last ? 0.0 : G * G);
      }
    }
  }
  return {v * mean, v * var.asDiagonal() * v.transpose()};
}

double relative_gap(const std::pair<V2, M2>& law, const V2& m, const M2& c) {
  return std::max((law.first - m).cwiseAbs().maxCoeff(),
                  (law.second - c).cwiseAbs().maxCoeff() / c.cwiseAbs().maxCoeff());
}

template <class Forward>
void check_all_samplers(const Forward& forward, const std::string& name) {
  const GaussianScore<Forward, 2> score(forward, data_mean, data_covariance());
  const double T = forward.end_time();
  ReverseSampleOptions o;
  o.particles = sdekit_test::scaled(100000, 10000);  // SDEKIT_TEST_SCALE (sanitizer CI); tolerances are in SE
  o.seed = 7;
  o.epsilon = 1e-3;
  o.steps = 50;
  const auto x_T = exact_marginal_sampler(score, T);
  const V2 m = score.marginal_mean(o.epsilon);
  const M2 c = score.marginal_covariance(o.epsilon);
  for (Scheme scheme : {Scheme::euler_maruyama, Scheme::predictor_corrector}) {
    const bool em_scheme = scheme == Scheme::euler_maruyama;
    const std::string label = name + (em_scheme ? " reverse SDE (Euler-Maruyama)" : " predictor-corrector");
    const auto samples =
        em_scheme ? sample_reverse_sde(forward, score, x_T, o) : sample_predictor_corrector(forward, score, x_T, o);
    CHECK(samples.ensemble.failures.empty());
    CHECK(samples.score_evaluations == (em_scheme ? 1 : 2) * o.particles * o.steps);
    // The samples follow the chain's exact law …
    const auto law = chain_law(forward, o.steps, o.epsilon, scheme);
    check_gaussian(samples.statistics(), law.first, law.second, 4.5, label + " vs its chain's law");
    // … which converges to the data's law: Euler–Maruyama at first order (the gap shrinks ~10x per decade of
    // steps); predictor–corrector more slowly, because the Langevin step 2α(snr σ_t)² does not shrink with the
    // time step. At 1000 steps the chain's target is within 1 standard error of 10^5 samples (0.45 % of the
    // covariance) of the data's law.
    const double gap100 = relative_gap(chain_law(forward, 100, o.epsilon, scheme), m, c);
    const double gap1000 = relative_gap(chain_law(forward, 1000, o.epsilon, scheme), m, c);
    const double gap10000 = relative_gap(chain_law(forward, 10000, o.epsilon, scheme), m, c);
    MESSAGE(label << ": law-vs-data gap " << gap100 << " (100 steps), " << gap1000 << " (1000), " << gap10000
                  << " (10000)");
    const double factor = em_scheme ? 5.0 : 2.5;
    CHECK(gap1000 < 0.0045);
    CHECK(gap1000 < gap100 / factor);
    CHECK(gap10000 < gap1000 / factor);
  }
  o.steps = 1;
  const auto ode = sample_probability_flow(forward, score, x_T, o, {.rtol = 1e-5, .atol = 1e-5});
  check_gaussian(ode.statistics(), m, c, 4.5, name + " probability-flow ODE");
  MESSAGE(name << ": PF-ODE score evaluations per sample " << double(ode.score_evaluations) / double(o.particles));
}

}  // namespace

TEST_CASE("Gaussian data through VP: reverse SDE, predictor-corrector and PF-ODE recover N(mu, Sigma)") {
  check_all_samplers(VpSde<>(), "VP");
}
TEST_CASE("Gaussian data through sub-VP") { check_all_samplers(SubVpSde<>(), "sub-VP"); }
TEST_CASE("Gaussian data through VE") { check_all_samplers(VeSde(), "VE"); }

TEST_CASE("the probability-flow ODE is the exact affine map on Gaussian data, per trajectory, with dopri5's order 5") {
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> score(vp, data_mean, data_covariance());
  ReverseSampleOptions o;
  o.particles = 200;
  o.seed = 3;
  o.epsilon = 1e-2;
  o.save_times = {vp.end_time()};  // keep x_T of every trajectory
  const auto x_T = exact_marginal_sampler(score, vp.end_time());
  auto max_error = [&](const DiffusionSamples<V2>& run) {
    double e = 0;
    for (Eigen::Index j = 0; j < run.samples().cols(); ++j) {
      const V2 start = run.ensemble.values.front().col(j);
      e = std::max(e, (V2(run.samples().col(j)) - score.flow_map(start, vp.end_time(), o.epsilon)).norm());
    }
    return e;
  };
  o.steps = 1;
  const auto adaptive = sample_probability_flow(vp, score, x_T, o, {.rtol = 1e-8, .atol = 1e-8});
  const double adaptive_error = max_error(adaptive);
  MESSAGE("adaptive dopri5, tol 1e-8: max trajectory error " << adaptive_error << ", "
                                                             << double(adaptive.score_evaluations) / double(o.particles)
                                                             << " evaluations per trajectory");
  CHECK(adaptive_error < 1e-6);
  // Fixed dopri5 steps on a grid uniform in t: the error must fall as h^5.
  std::vector<double> errors;
  for (std::size_t steps : {40, 80, 160}) {
    o.steps = steps;
    const auto fixed = sample_probability_flow(vp, score, x_T, o, {.adaptive = false});
    CHECK(fixed.score_evaluations == 7 * o.particles * steps);
    errors.push_back(max_error(fixed));
  }
  const double order1 = std::log2(errors[0] / errors[1]), order2 = std::log2(errors[1] / errors[2]);
  MESSAGE("fixed dopri5 errors " << errors[0] << " " << errors[1] << " " << errors[2] << ", orders " << order1 << " "
                                 << order2);
  CHECK(order2 > 4.5);
  CHECK(order2 < 6.0);
}

TEST_CASE("a 1-D Gaussian mixture with unequal weights: KS test against the exact CDF and the mass in each mode") {
  const VpSde<> vp;
  using M1 = Eigen::Matrix<double, 1, 1>;
  const std::vector<double> w{0.2, 0.5, 0.3};
  const std::vector<double> mu{-4.0, 0.0, 3.0}, sd{0.5, 0.7, 0.4};
  std::vector<M1> means, covs;
  for (std::size_t k = 0; k < 3; ++k) {
    means.push_back(M1(mu[k]));
    covs.push_back(M1(sd[k] * sd[k]));
  }
  const GaussianMixtureScore<VpSde<>, 1> score(vp, w, means, covs);
  ReverseSampleOptions o;
  o.particles = 20000;
  o.seed = 11;
  o.steps = 200;
  o.epsilon = 1e-3;
  auto cdf = [&](double x) {
    double f = 0;
    for (std::size_t k = 0; k < 3; ++k) f += w[k] * normal_cdf((x - mu[k]) / std::sqrt(sd[k] * sd[k] + 1e-4));
    return f;
  };
  auto check = [&](const DiffusionSamples<double>& run, const std::string& label) {
    const std::vector<double> x = run.ensemble.component_values(run.ensemble.values.size() - 1);
    const double d = ks_statistic(x, cdf);
    const double p = ks_p_value(d, x.size());
    INFO(label << ": KS D = " << d << ", p = " << p);
    CHECK(p > 1e-3);
    // Mode masses (cuts at the density minima between modes): binomial standard errors.
    const double cuts[2] = {-2.2, 1.8};
    double counts[3] = {0, 0, 0};
    for (double v : x) counts[v < cuts[0] ? 0 : (v < cuts[1] ? 1 : 2)] += 1;
    for (std::size_t k = 0; k < 3; ++k) {
      const double frac = counts[k] / double(x.size());
      const double se = std::sqrt(w[k] * (1 - w[k]) / double(x.size()));
      INFO(label << ": mode " << k << " mass " << frac << " vs " << w[k]);
      CHECK(std::abs(frac - w[k]) < 4.5 * se);
    }
  };
  // Start from the prior N(0, 1): the VP forward process forgets the data to within a_T ≈ 0.0066.
  check(sample_reverse_sde(vp, score, vp.prior_sampler<double>(), o), "reverse SDE");
  o.steps = 100;  // two score calls per step
  check(sample_reverse_sde(vp, score, vp.prior_sampler<double>(), o, StochasticHeun{}),
        "reverse SDE (stochastic Heun)");
  o.steps = 200;
  check(sample_predictor_corrector(vp, score, vp.prior_sampler<double>(), o), "predictor-corrector");
  o.steps = 1;
  check(sample_probability_flow(vp, score, vp.prior_sampler<double>(), o), "probability-flow ODE");
}

TEST_CASE("samples are bitwise the same for 1 and 2 threads, for every sampler") {
  const VeSde ve;
  const GaussianMixtureScore<VeSde, 2> score(ve, {0.3, 0.7}, {V2(1, 1), V2(-1, 0)},
                                             {M2::Identity() * 0.1, data_covariance()});
  ReverseSampleOptions o;
  o.particles = 1000;
  o.seed = 5;
  o.steps = 20;
  o.block_size = 64;
  auto both = [&](auto run) {
    ReverseSampleOptions one = o, two = o;
    one.threads = 1;
    two.threads = 2;
    const auto a = run(one), b = run(two);
    CHECK(a.samples().cwiseEqual(b.samples()).all());
    CHECK(a.score_evaluations == b.score_evaluations);
  };
  const auto prior = ve.prior_sampler<V2>();
  both([&](const ReverseSampleOptions& op) { return sample_reverse_sde(ve, score, prior, op); });
  both([&](const ReverseSampleOptions& op) { return sample_reverse_sde(ve, score, prior, op, StochasticHeun{}); });
  both([&](const ReverseSampleOptions& op) { return sample_predictor_corrector(ve, score, prior, op); });
  both([&](const ReverseSampleOptions& op) {
    return sample_predictor_corrector(ve, score, prior, op, {.predictor = Predictor::ancestral});
  });
  both([&](const ReverseSampleOptions& op) { return sample_probability_flow(ve, score, prior, op); });
}

TEST_CASE("the RunOptions slice reaches the ensemble whole: schedule, block size and progress") {
  const VeSde ve;
  const GaussianMixtureScore<VeSde, 2> score(ve, {0.3, 0.7}, {V2(1, 1), V2(-1, 0)},
                                             {M2::Identity() * 0.1, data_covariance()});
  ReverseSampleOptions o;
  o.particles = 200;
  o.seed = 9;
  o.steps = 5;
  o.threads = 2;
  o.block_size = 1;  // 200 blocks: a dynamic schedule all but surely splits them unlike the static one
  // The prior sampler runs in the thread that runs particle i's block, so it shows how blocks were handed out.
  std::vector<int> thread_of(o.particles, -1);
  int team = 0;
  const auto prior = ve.prior_sampler<V2>();
  auto recording_prior = [&](std::size_t i, RandomStream& rng) {
    if (omp_in_parallel()) {
      thread_of[i] = omp_get_thread_num();
      if (i == 0) team = omp_get_num_threads();
    }
    return prior(i, rng);
  };
  std::size_t calls = 0;
  o.progress = [&](double) { ++calls; };
  o.schedule = Schedule::static_blocks;
  const auto fixed = sample_reverse_sde(ve, score, recording_prior, o);
  CHECK(calls == 200);  // one call per block: block_size and progress arrived
  const std::vector<int> static_threads = thread_of;
  o.schedule = Schedule::dynamic_blocks;
  const auto dynamic = sample_reverse_sde(ve, score, recording_prior, o);
  CHECK(dynamic.samples().cwiseEqual(fixed.samples()).all());
  CHECK(dynamic.score_evaluations == fixed.score_evaluations);
  if (team == 2) {
    // schedule(static) gives thread 0 the first half of the blocks and thread 1 the second.
    std::vector<int> halves(o.particles, 0);
    std::fill(halves.begin() + 100, halves.end(), 1);
    CHECK(static_threads == halves);
    CHECK(thread_of != halves);  // the dynamic schedule was used
  } else {
    MESSAGE("OpenMP gave a team of " << team << " threads; the schedule check needs 2");
  }
}

TEST_CASE("bad input: NaN scores are reported per particle, bad grids and epsilon are errors naming the argument") {
  const VpSde<> vp;
  ReverseSampleOptions o;
  o.particles = 10;
  o.steps = 10;
  auto nan_score = [](const V2& x, double t) { return V2(t < 0.5 ? V2::Constant(NAN) : V2(-x)); };
  const auto r = sample_reverse_sde(vp, nan_score, vp.prior_sampler<V2>(), o);
  REQUIRE(r.ensemble.failures.size() == 10);
  CHECK(r.ensemble.failures[0].reason.find("score s(x, t)") != std::string::npos);
  CHECK(r.ensemble.failures[0].time < 0.5);
  CHECK(r.statistics().alive == 0);
  const auto r2 = sample_probability_flow(vp, nan_score, vp.prior_sampler<V2>(), o);
  CHECK(r2.ensemble.failures.size() == 10);

  auto score = [](const V2& x, double) { return V2(-x); };
  for (double eps : {0.0, -1.0, 1.0, 2.0}) {
    ReverseSampleOptions b = o;
    b.epsilon = eps;
    check_throws_naming([&] { sample_reverse_sde(vp, score, V2(0, 0), b); }, "epsilon");
    check_throws_naming([&] { sample_predictor_corrector(vp, score, V2(0, 0), b); }, "epsilon");
    check_throws_naming([&] { sample_probability_flow(vp, score, V2(0, 0), b); }, "epsilon");
  }
  ReverseSampleOptions g = o;
  g.time_grid = {0.01, 0.5, 0.5, 1.0};
  check_throws_naming([&] { sample_reverse_sde(vp, score, V2(0, 0), g); }, "time_grid[2]");
  g.time_grid = {0.01, 0.6, 0.5, 1.0};
  check_throws_naming([&] { sample_predictor_corrector(vp, score, V2(0, 0), g); }, "time_grid[2]");
  g.time_grid = {0.0, 0.5, 1.0};
  check_throws_naming([&] { sample_probability_flow(vp, score, V2(0, 0), g); }, "time_grid[0]");
  g.time_grid = {0.1, 0.5, 1.5};
  check_throws_naming([&] { sample_reverse_sde(vp, score, V2(0, 0), g); }, "time_grid[2]");
  ReverseSampleOptions sv = o;
  sv.save_times = {0.55};
  check_throws_naming([&] { sample_reverse_sde(vp, score, V2(0, 0), sv); }, "save_times[0]");
  check_throws_naming([&] { sample_predictor_corrector(vp, score, V2(0, 0), o, {.snr = -1}); }, "snr");
  check_throws_naming(
      [&] {
        sample_predictor_corrector(vp, score, V2(0, 0), o,
                                   {.predictor = Predictor::none, .corrector = Corrector::none});
      },
      "predictor");
  check_throws_naming([&] { sample_probability_flow(vp, score, V2(0, 0), o, {.rtol = 0}); }, "rtol");
  // A user grid works and its saves come back in sampling order.
  g.time_grid = {0.01, 0.2, 0.7, 1.0};
  g.save_times = {0.2, 0.7};
  const auto ok = sample_reverse_sde(vp, score, V2(0, 0), g);
  REQUIRE(ok.ensemble.save_times.size() == 3);
  CHECK(ok.ensemble.save_times[0] == 0.7);
  CHECK(ok.ensemble.save_times[2] == 0.01);
}
