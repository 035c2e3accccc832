// The probability-flow ODE log-likelihood against the exact log-density of Gaussian data at t = ε, in 2 and 16
// dimensions: with the exact divergence (central differences) within 1e-3 nats; Hutchinson's estimator unbiased
// within 4.5 standard errors; the default N(0, I) prior off by the signal VP leaves at T; bad input refused.
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/likelihood.hpp>
#include <sdekit/diffusion/scores.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <Eigen/Cholesky>

#include <cmath>
#include <vector>

using namespace sdekit;
using sdekit_test::check_throws_naming;

namespace {

/// log N(x; m, C).
double gaussian_log_density(const Eigen::VectorXd& x, const Eigen::VectorXd& m, const Eigen::MatrixXd& c) {
  const Eigen::LLT<Eigen::MatrixXd> llt(c);
  const Eigen::VectorXd y = llt.matrixL().solve(x - m);
  const double log_det = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
  return -0.5 * y.squaredNorm() - 0.5 * log_det - 0.5 * double(x.size()) * std::log(2.0 * M_PI);
}

struct GaussianCase {
  GaussianScore<VpSde<>, Eigen::Dynamic> score;
  std::vector<Eigen::VectorXd> points;
};

GaussianCase make_case(int d) {
  RandomStream rng(2024, static_cast<std::uint64_t>(d));
  Eigen::MatrixXd a(d, d);
  Eigen::VectorXd mean(d);
  for (int i = 0; i < d; ++i) {
    mean[i] = rng.normal();
    for (int j = 0; j < d; ++j) a(i, j) = rng.normal();
  }
  Eigen::MatrixXd cov = a * a.transpose() / d;
  cov.diagonal().array() += 0.1;
  GaussianCase c{GaussianScore<VpSde<>, Eigen::Dynamic>(VpSde<>(), mean, cov), {}};
  for (int p = 0; p < 3; ++p) {  // points at typical and atypical places of the data
    Eigen::VectorXd z(d);
    for (int i = 0; i < d; ++i) z[i] = rng.normal();
    c.points.push_back(mean + (0.5 + p) * Eigen::LLT<Eigen::MatrixXd>(cov).matrixL().toDenseMatrix() * z);
  }
  return c;
}

}  // namespace

TEST_CASE("PF-ODE log-likelihood with the exact divergence: within 1e-3 nats of log p_eps in 2 and 16 dimensions") {
  const VpSde<> vp;
  const double eps = 1e-3, T = vp.end_time();
  for (int d : {2, 16}) {
    const GaussianCase c = make_case(d);
    LikelihoodOptions o;
    o.epsilon = eps;
    o.prior_log_density = [&](const Eigen::VectorXd& y) {
      return gaussian_log_density(y, c.score.marginal_mean(T), c.score.marginal_covariance(T));
    };
    for (const Eigen::VectorXd& x : c.points) {
      const LogLikelihood l = pf_ode_log_likelihood(vp, c.score, x, o);
      const double exact = gaussian_log_density(x, c.score.marginal_mean(eps), c.score.marginal_covariance(eps));
      INFO("d = " << d << ": estimate " << l.log_density << ", exact " << exact << ", error " << l.log_density - exact
                  << ", " << l.score_evaluations << " score calls");
      CHECK(std::abs(l.log_density - exact) < 1e-3);
      // The library's default prior N(0, I) ignores the signal a_T ≈ 0.0064 left at T: a visible, bounded error.
      LikelihoodOptions plain = o;
      plain.prior_log_density = nullptr;
      const double gap = std::abs(pf_ode_log_likelihood(vp, c.score, x, plain).log_density - exact);
      INFO("default prior: gap " << gap);
      CHECK(gap < 0.1);
    }
  }
}

TEST_CASE("Hutchinson's divergence estimator is unbiased: the mean of independent estimates within 4.5 SE") {
  const VpSde<> vp;
  const double eps = 1e-3, T = vp.end_time();
  const GaussianCase c = make_case(16);
  LikelihoodOptions o;
  o.epsilon = eps;
  o.divergence = Divergence::hutchinson;
  o.rtol = o.atol = 1e-6;
  o.prior_log_density = [&](const Eigen::VectorXd& y) {
    return gaussian_log_density(y, c.score.marginal_mean(T), c.score.marginal_covariance(T));
  };
  const Eigen::VectorXd& x = c.points[0];
  const double exact = gaussian_log_density(x, c.score.marginal_mean(eps), c.score.marginal_covariance(eps));
  const std::size_t runs = sdekit_test::scaled(200, 50);
  double sum = 0.0, squares = 0.0;
  for (std::size_t r = 0; r < runs; ++r) {
    o.seed = r;
    const double v = pf_ode_log_likelihood(vp, c.score, x, o).log_density;
    sum += v;
    squares += v * v;
  }
  const double mean = sum / double(runs);
  const double se = std::sqrt((squares / double(runs) - mean * mean) / double(runs - 1));
  INFO("mean " << mean << " +- " << se << " vs exact " << exact);
  CHECK(se > 0.0);
  CHECK(std::abs(mean - exact) < 4.5 * se + 1e-3);
}

TEST_CASE("PF-ODE log-likelihood: bad input names the argument") {
  const VpSde<> vp;
  const GaussianCase c = make_case(2);
  const Eigen::VectorXd x = c.points[0];
  check_throws_naming([&] { pf_ode_log_likelihood(vp, c.score, x, {.epsilon = 0.0}); }, "epsilon");
  check_throws_naming([&] { pf_ode_log_likelihood(vp, c.score, Eigen::VectorXd::Constant(2, NAN)); }, "x");
  check_throws_naming(
      [&] { pf_ode_log_likelihood(vp, c.score, x, {.divergence = Divergence::hutchinson, .probes = 0}); }, "probes");
  check_throws_naming([&] { pf_ode_log_likelihood(vp, c.score, x, {.rtol = -1.0}); }, "rtol");
  auto nan_score = [](const Eigen::VectorXd& y, double) { return Eigen::VectorXd::Constant(y.size(), NAN); };
  check_throws_naming([&] { pf_ode_log_likelihood(vp, nan_score, x); }, "score(x, t)");
}
