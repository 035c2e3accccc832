// BrownianPath: refinement (a coarse increment is the sum of the fine ones), the law of its increments, and its
// errors; and that a normal depends on every one of its indices.
#include <sdekit/core/noise.hpp>

#include <doctest/doctest.h>

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
