// BrownianPath: refinement (a coarse increment is the sum of the fine ones), the law of its increments, and its
// errors; and that a normal depends on every one of its indices.
#include <sdekit/core/noise.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <Eigen/Core>

#include <cmath>
#include <vector>

using sdekit::BrownianPath;

TEST_CASE("a normal is a pure function of (seed, particle, step, component)") {
  const double z = sdekit::standard_normal(11, 3, 5, 2);
  // Asking again, after other draws, or through the vector and block calls gives the same bits.
  sdekit::standard_normal(11, 4, 5, 2);
  CHECK(sdekit::standard_normal(11, 3, 5, 2) == z);
  std::vector<double> row(5);
  sdekit::standard_normals(11, 3, 5, row.size(), row.data());
  CHECK(row[2] == z);
  std::vector<double> block(6 * 3);
  sdekit::standard_normals_block(11, 1, 6, 5, 3, block.data());  // particles 1…6, components 0…2
  CHECK(block[2 * 6 + (3 - 1)] == z);
  // Each index matters.
  CHECK(sdekit::standard_normal(12, 3, 5, 2) != z);
  CHECK(sdekit::standard_normal(11, 2, 5, 2) != z);
  CHECK(sdekit::standard_normal(11, 3, 6, 2) != z);
  CHECK(sdekit::standard_normal(11, 3, 5, 3) != z);
  // Seeds that differ only in their high 32 bits give different streams.
  CHECK(sdekit::standard_normal(11 + (std::uint64_t{1} << 32), 3, 5, 2) != z);
}

TEST_CASE("a BrownianPath's coarse increment is the sum of its fine increments") {
  const BrownianPath path(99, 0.0, 1.0 / 64, 2, 7);
  Eigen::Vector2d coarse, fine, sum = Eigen::Vector2d::Zero();
  path(0, 0.25, 0.25, coarse);  // [0.25, 0.5] = fine steps 16 … 31
  for (std::uint64_t i = 16; i < 32; ++i) {
    path.increment(i, i + 1, fine);
    sum += fine;
  }
  CHECK(coarse == sum);  // bitwise: the same additions in the same order
  // The coarse increments over a tiling add up to W(1) − W(0).
  Eigen::Vector2d total = Eigen::Vector2d::Zero(), part;
  for (int k = 0; k < 4; ++k) {
    path(0, 0.25 * k, 0.25, part);
    total += part;
  }
  CHECK(total[0] == doctest::Approx(path.value(1.0, 0)).epsilon(1e-12));
  CHECK(total[1] == doctest::Approx(path.value(1.0, 1)).epsilon(1e-12));
}

TEST_CASE("BrownianPath increments have variance equal to their length") {
  // Increments over [0, 0.5] of 20000 independent paths: variance 0.5 within 5 SE (SE = 0.5·√(2/n)).
  const int n = 20000;
  double sum = 0, sum2 = 0;
  for (int p = 0; p < n; ++p) {
    const BrownianPath path(3, 0.0, 1.0 / 32, 1, static_cast<std::uint64_t>(p));
    double dW;
    path(0, 0.0, 0.5, dW);
    sum += dW;
    sum2 += dW * dW;
  }
  CHECK(std::abs(sum / n) < 5 * std::sqrt(0.5 / n));
  CHECK(std::abs(sum2 / n - 0.5) < 5 * 0.5 * std::sqrt(2.0 / n));
}

TEST_CASE("BrownianPath rejects bad arguments, naming them") {
  CHECK_THROWS_WITH_AS(BrownianPath(1, 0.0, -0.1), doctest::Contains("fine_dt = -0.1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(BrownianPath(1, 0.0, 0.1, 0), doctest::Contains("dimension = 0"), std::invalid_argument);
  const BrownianPath path(1, 0.0, 0.1);
  double dW;
  CHECK_THROWS_WITH_AS(path(0, 0.05, 0.1, dW), doctest::Contains("t = 0.05"), std::invalid_argument);
  Eigen::Vector3d wrong;
  CHECK_THROWS_WITH_AS(path(0, 0.0, 0.1, wrong), doctest::Contains("dW.size() = 3"), std::invalid_argument);
}

namespace {
// Sample moments of pairs (u, v) with the standard errors of the checks below.
struct PairMoments {
  double n = 0, su = 0, sv = 0, suu = 0, svv = 0, suv = 0;
  void add(double u, double v) { n += 1, su += u, sv += v, suu += u * u, svv += v * v, suv += u * v; }
  double mean_u() const { return su / n; }
  double var_u() const { return suu / n - mean_u() * mean_u(); }
  double cov() const { return suv / n - mean_u() * (sv / n); }
};
}  // namespace

TEST_CASE("step integrals of one step: I_(1,0) and Lévy areas have the Brownian moments, ΔW keeps its bits") {
  // For a step of length h: Var I_(1,0) = h³/3, Cov(I_(1,0), ΔW) = h²/2, E A_jk = 0, Var A_jk = h²/4, and
  // E[A_01 ΔW_0] = 0. 200000 particles of GaussianNoise; each check within 5 standard errors.
  const double h = 0.5;
  const int n = static_cast<int>(sdekit_test::scaled(200000, 20000));  // SDEKIT_TEST_SCALE; tolerances in SE
  PairMoments i10, area;
  int wiener_bits_differ = 0;
  for (int p = 0; p < n; ++p) {
    sdekit::GaussianNoise noise(11, static_cast<std::uint64_t>(p));
    sdekit::LevyAreaIncrement<Eigen::Vector2d> inc = sdekit::make_zero_increment<decltype(inc)>(2);
    noise(3, 0.0, h, inc);
    Eigen::Vector2d plain;
    noise(3, 0.0, h, plain);
    if (plain != inc.dW) ++wiener_bits_differ;  // the extra normals live on their own counter space
    i10.add(inc.I10[0], inc.dW[0]);
    area.add(inc.A(0, 1), inc.dW[0]);
    CHECK(inc.A(1, 0) == -inc.A(0, 1));
  }
  CHECK(wiener_bits_differ == 0);
  const double var_i10 = h * h * h / 3, cov_i10 = h * h / 2, var_area = h * h / 4;
  // Standard errors: of a mean sqrt(var/n); of a variance (Gaussian) var·sqrt(2/n); of a covariance
  // sqrt((var_u var_v + cov²)/n); for the non-Gaussian area the fourth moment is below 2·var² + var², so 3·var² bounds
  // it.
  CHECK(std::abs(i10.mean_u()) < 5 * std::sqrt(var_i10 / n));
  CHECK(std::abs(i10.var_u() - var_i10) < 5 * var_i10 * std::sqrt(2.0 / n));
  CHECK(std::abs(i10.cov() - cov_i10) < 5 * std::sqrt((var_i10 * h + cov_i10 * cov_i10) / n));
  CHECK(std::abs(area.mean_u()) < 5 * std::sqrt(var_area / n));
  CHECK(std::abs(area.var_u() - var_area) < 5 * var_area * std::sqrt(3.0 / n));
  CHECK(std::abs(area.cov()) < 5 * std::sqrt(var_area * h / n));
}

TEST_CASE("BrownianPath: coarse I_(1,0) and Lévy areas follow from the fine steps by Chen's relation") {
  const sdekit::BrownianPath path(21, 0.0, 1.0 / 8, 2, 5);
  using Inc = sdekit::LevyAreaIncrement<Eigen::Vector2d>;
  Inc whole = sdekit::make_zero_increment<Inc>(2), left = whole, right = whole;
  path.increment(0, 8, whole);
  path.increment(0, 3, left);
  path.increment(3, 8, right);
  // Chen: I(s,u) = I(s,v) + I(v,u) + (u − v) ΔW(s,v); A(s,u) = A(s,v) + A(v,u) + ½(ΔW_j(s,v) ΔW_k(v,u) − …).
  const double right_length = 5.0 / 8;
  CHECK((whole.dW - (left.dW + right.dW)).norm() < 1e-12);
  CHECK((whole.I10 - (left.I10 + right.I10 + right_length * left.dW)).norm() < 1e-12);
  const double chen_area = left.A(0, 1) + right.A(0, 1) + 0.5 * (left.dW[0] * right.dW[1] - left.dW[1] * right.dW[0]);
  CHECK(std::abs(whole.A(0, 1) - chen_area) < 1e-12);
  // The cache changes nothing.
  sdekit::BrownianPath cached(21, 0.0, 1.0 / 8, 2, 5);
  cached.cache(8);
  Inc again = sdekit::make_zero_increment<Inc>(2);
  cached.increment(0, 8, again);
  CHECK(again.dW == whole.dW);
  CHECK(again.I10 == whole.I10);
  CHECK(again.A == whole.A);
}

TEST_CASE("BrownianPath: a coarse step composed of 64 fine ones has the Brownian moments over [0, 1]") {
  // Var I_(1,0) = 1/3, Cov(I_(1,0), ΔW) = 1/2, Var A = 1/4 (exact for the composition, see docs/noise.md);
  // 20000 paths, 5 standard errors.
  const int n = 20000;
  PairMoments i10, area;
  for (int p = 0; p < n; ++p) {
    const sdekit::BrownianPath path(8, 0.0, 1.0 / 64, 2, static_cast<std::uint64_t>(p));
    sdekit::LevyAreaIncrement<Eigen::Vector2d> inc = sdekit::make_zero_increment<decltype(inc)>(2);
    path(0, 0.0, 1.0, inc);
    i10.add(inc.I10[1], inc.dW[1]);
    area.add(inc.A(0, 1), inc.dW[0]);
  }
  CHECK(std::abs(i10.var_u() - 1.0 / 3) < 5 * (1.0 / 3) * std::sqrt(2.0 / n));
  CHECK(std::abs(i10.cov() - 0.5) < 5 * std::sqrt((1.0 / 3 + 0.25) / n));
  CHECK(std::abs(area.var_u() - 0.25) < 5 * 0.25 * std::sqrt(3.0 / n));
}
