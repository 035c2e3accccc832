// Exact scores: Gaussian, Gaussian-mixture and dataset scores against finite differences of the log-density,
// against each other in limiting cases, numerical stability far from the data, ε ↔ s conversion, errors.
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/scores.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

using sdekit_test::check_throws_naming;
using namespace sdekit;
using V2 = Eigen::Vector2d;
using M2 = Eigen::Matrix2d;

namespace {
M2 cov(double a, double b, double c) {
  M2 m;
  m << a, b, b, c;
  return m;
}
}  // namespace

TEST_CASE("mixture score is the gradient of the mixture log-density (log-determinants kept)") {
  const VpSde<> vp;
  // Unequal covariances: dropping the log-det terms would shift the responsibilities and fail this test.
  const GaussianMixtureScore<VpSde<>, 2> gmm(vp, {0.2, 0.5, 0.3}, {V2(-2, 0), V2(1, 1), V2(2, -2)},
                                             {cov(0.1, 0.02, 0.3), cov(1.0, -0.4, 0.5), cov(0.05, 0, 0.05)});
  for (double t : {0.01, 0.2, 0.6}) {
    for (const V2& x : {V2(0, 0), V2(1.5, -1), V2(-2.1, 0.3)}) {
      const double h = 1e-5;
      V2 fd;
      for (int i = 0; i < 2; ++i) {
        V2 e = V2::Zero();
        e[i] = h;
        fd[i] = (gmm.log_density(V2(x + e), t) - gmm.log_density(V2(x - e), t)) / (2 * h);
      }
      const V2 s = gmm(x, t);
      INFO("t = " << t << " x = " << x.transpose() << " score " << s.transpose() << " fd " << fd.transpose());
      CHECK((s - fd).norm() < 1e-5 * std::max(1.0, fd.norm()));
    }
  }
  // The density integrates the Gaussian normalisation: one component at t = 0 is N(μ, Σ)'s log-pdf.
  const GaussianMixtureScore<VpSde<>, 2> one(vp, {1.0}, {V2(0, 0)}, {M2::Identity()});
  CHECK(one.log_density(V2(0, 0), 0.0) == doctest::Approx(-std::log(2 * M_PI)));
  // Far from every mode the streaming log-sum-exp stays finite (plain exp would underflow to 0/0).
  const V2 far = gmm(V2(1e3, -1e3), 0.01);
  CHECK(far.allFinite());
  CHECK(far[0] < 0);
  CHECK(far[1] > 0);
}

TEST_CASE("Gaussian score, its marginals and flow map; a one-component mixture agrees") {
  const VeSde ve;
  const M2 c = cov(1.0, 0.6, 0.5);
  const GaussianScore<VeSde, 2> g(ve, V2(1, -0.5), c);
  const GaussianMixtureScore<VeSde, 2> m(ve, {1.0}, {V2(1, -0.5)}, {c});
  for (double t : {0.1, 0.5}) {
    const V2 x(0.3, 0.7);
    CHECK((g(x, t) - m(x, t)).norm() < 1e-12);
    // −C_t⁻¹ (x − a μ) by a direct solve.
    const V2 direct = -g.marginal_covariance(t).inverse() * (x - g.marginal_mean(t));
    CHECK((g(x, t) - direct).norm() < 1e-12);
    // The flow map sends p_from to p_to: it maps the marginal mean to the marginal mean and composes.
    CHECK((g.flow_map(g.marginal_mean(0.9), 0.9, t) - g.marginal_mean(t)).norm() < 1e-12);
    CHECK((g.flow_map(g.flow_map(x, 0.9, 0.5), 0.5, t) - g.flow_map(x, 0.9, t)).norm() < 1e-9);
  }
  // Scalar states with N = 1.
  using M1 = Eigen::Matrix<double, 1, 1>;
  const GaussianScore<VeSde, 1> g1(ve, M1(2.0), M1(0.5));
  const double s = ve.marginal_std(0.3);
  CHECK(g1(1.0, 0.3) == doctest::Approx(-(1.0 - 2.0) / (0.5 + s * s)));
}

TEST_CASE("dataset score: optimal denoiser and the one-point limit") {
  const VpSde<> vp;
  Eigen::Matrix<double, 2, Eigen::Dynamic> pts(2, 1);
  pts.col(0) = V2(1, 2);
  const DatasetScore<VpSde<>, 2> one(vp, pts);
  const GaussianScore<VpSde<>, 2> point(vp, V2(1, 2), M2::Zero());
  const V2 x(0.1, -0.4);
  CHECK((one(x, 0.4) - point(x, 0.4)).norm() < 1e-12);
  Eigen::Matrix<double, 2, Eigen::Dynamic> two(2, 2);
  two.col(0) = V2(-1, 0);
  two.col(1) = V2(1, 0);
  const DatasetScore<VpSde<>, 2> d(vp, two);
  // By symmetry the denoiser at the midpoint is the midpoint; near a point at small t it is that point.
  CHECK(d.denoise(V2(0, 0.3), 0.5).norm() < 1e-12);
  CHECK((d.denoise(V2(0.9 * vp.mean_coefficient(0.01), 0), 0.01) - V2(1, 0)).norm() < 1e-9);
  // Equal to a two-component mixture of zero-covariance Gaussians.
  const GaussianMixtureScore<VpSde<>, 2> m(vp, {1, 1}, {V2(-1, 0), V2(1, 0)}, {M2::Zero(), M2::Zero()});
  CHECK((d(V2(0.2, 0.1), 0.3) - m(V2(0.2, 0.1), 0.3)).norm() < 1e-10);
  CHECK(d(V2(50, 50), 0.01).allFinite());
}

TEST_CASE("noise predictor <-> score conversion") {
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> g(vp, V2(1, 0), M2::Identity());
  const auto eps = noise_predictor_from_score(g, vp);
  const auto back = score_from_noise_predictor(eps, vp);
  const V2 x(0.5, 0.5);
  CHECK((eps(x, 0.3) + vp.marginal_std(0.3) * g(x, 0.3)).norm() < 1e-14);
  CHECK((back(x, 0.3) - g(x, 0.3)).norm() < 1e-12);
}

TEST_CASE("score bad input names the argument") {
  const VpSde<> vp;
  check_throws_naming([&] { GaussianScore<VpSde<>, 2>(vp, V2(0, 0), cov(1, 0.5, -1)); }, "eigenvalue of covariance");
  check_throws_naming([&] { GaussianScore<VpSde<>, 2>(vp, V2(0, NAN), M2::Identity()); }, "mean");
  M2 asym;
  asym << 1, 0.5, 0, 1;
  check_throws_naming([&] { GaussianScore<VpSde<>, 2>(vp, V2(0, 0), asym); }, "covariance");
  check_throws_naming([&] { GaussianScore<VpSde<>>(vp, Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Identity(2, 2)); },
                      "covariance");
  check_throws_naming(
      [&] {
        GaussianMixtureScore<VpSde<>, 2>(vp, {1.0, -1.0}, {V2(0, 0), V2(1, 1)}, {M2::Identity(), M2::Identity()});
      },
      "weights[1]");
  check_throws_naming(
      [&] {
        GaussianMixtureScore<VpSde<>, 2>(vp, {1.0}, {V2(0, 0), V2(1, 1)}, {M2::Identity()});
      },
      "means.size()");
  check_throws_naming([&] { GaussianMixtureScore<VpSde<>, 2>(vp, {1.0}, {V2(0, 0)}, {cov(1, 2, 1)}); },
                      "covariances[0]");
  check_throws_naming([&] { DatasetScore<VpSde<>, 2>(vp, Eigen::Matrix<double, 2, Eigen::Dynamic>(2, 0)); },
                      "points.cols()");
}
