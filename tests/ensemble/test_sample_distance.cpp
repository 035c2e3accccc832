// Energy distance and sliced Wasserstein against closed forms for shifted Gaussians, and errors.
#include <sdekit/core/noise.hpp>
#include <sdekit/ensemble/sample_distance.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

using namespace sdekit;

namespace {
Eigen::MatrixXd gaussian_samples(Eigen::Index d, Eigen::Index n, const Eigen::VectorXd& shift, std::uint64_t seed) {
  Eigen::MatrixXd m(d, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    RandomStream rng(seed, static_cast<std::uint64_t>(j));
    for (Eigen::Index i = 0; i < d; ++i) m(i, j) = rng.normal() + shift[i];
  }
  return m;
}
}  // namespace

TEST_CASE("energy distance of N(0,1) and N(delta,1) matches its closed form") {
  // E|X−Y| for X − Y ~ N(−δ, 2): √2·√(2/π)·e^{−δ²/4} + δ(1 − 2Φ(−δ/√2)); E|X−X'| = 2/√π.
  const double delta = 1.0;
  const double cross =
      2 / std::sqrt(M_PI) * std::exp(-delta * delta / 4) + delta * (1 - 2 * normal_cdf(-delta / std::sqrt(2.0)));
  const double exact = 2 * cross - 2 * (2 / std::sqrt(M_PI));
  const auto a = gaussian_samples(1, 3000, Eigen::VectorXd::Zero(1), 1);
  const auto b = gaussian_samples(1, 3000, Eigen::VectorXd::Constant(1, delta), 2);
  const double e = energy_distance(a, b);
  MESSAGE("energy distance " << e << " vs exact " << exact);
  // The estimator's standard deviation at n = 3000 is about 0.01 (its leading term is O(1/√n)); 0.04 ≈ 4 SD.
  CHECK(std::abs(e - exact) < 0.04);
  // Equal laws: close to zero (unbiased U-statistics), and NaN columns are skipped.
  Eigen::MatrixXd c = gaussian_samples(2, 2000, Eigen::VectorXd::Zero(2), 3);
  c(0, 5) = NAN;
  CHECK(std::abs(energy_distance(gaussian_samples(2, 2000, Eigen::VectorXd::Zero(2), 4), c)) < 0.01);
}

TEST_CASE("sliced Wasserstein of two shifted 2-D Gaussians is |delta|/sqrt(2)") {
  // W₂ of projections: |θ·δ|; E_θ(θ·δ)² = |δ|²/2 for θ uniform on the circle.
  const Eigen::Vector2d delta(3, 0);
  const auto a = gaussian_samples(2, 5000, Eigen::VectorXd::Zero(2), 5);
  const auto b = gaussian_samples(2, 5000, delta, 6);
  const double sw = sliced_wasserstein(a, b, 2000, 1);
  MESSAGE("sliced W2 " << sw << " vs exact " << delta.norm() / std::sqrt(2.0));
  // 2000 directions: Monte Carlo SD of the mean of (θ·δ)² is sqrt(81/8/2000) ≈ 0.07 on 4.5 → 0.017 on SW₂.
  CHECK(std::abs(sw - delta.norm() / std::sqrt(2.0)) < 0.07);
  CHECK(sliced_wasserstein(a, a, 16) == 0.0);
}

TEST_CASE("sample distance bad input") {
  const Eigen::MatrixXd a = Eigen::MatrixXd::Zero(2, 5), b = Eigen::MatrixXd::Zero(3, 5);
  CHECK_THROWS_WITH_AS(energy_distance(a, b), doctest::Contains("b.rows()"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sliced_wasserstein(a, a, 0), doctest::Contains("projections"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(energy_distance(Eigen::MatrixXd::Zero(2, 1), a), doctest::Contains("valid columns of a"),
                       std::invalid_argument);
}
