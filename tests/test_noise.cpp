// The counter-based noise: Philox4x32-10 against Random123's known-answer vectors, the normal law of the
// generated increments, purity in the indices, and the refinement property of BrownianPath.
#include <sdekit/noise.hpp>
#include <sdekit/statistics.hpp>

#include <doctest/doctest.h>

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

using sdekit::BrownianPath;
using sdekit::GaussianNoise;

TEST_CASE("Philox4x32-10 reproduces Random123's known-answer vectors") {
  // From Random123's kat_vectors file (philox4x32 10 rounds): counter, key, expected output.
  struct Kat {
    std::array<std::uint32_t, 4> counter;
    std::array<std::uint32_t, 2> key;
    std::array<std::uint32_t, 4> expected;
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& kat : kats) CHECK(sdekit::philox4x32_10(kat.counter, kat.key) == kat.expected);
}

TEST_CASE("generated normals have the standard normal moments and law") {
  // 4·10^5 draws spread over particles, steps and components. Tolerances are 5 standard errors:
  // mean SE 1/√n, variance SE √(2/n), skewness SE √(6/n), excess kurtosis SE √(24/n).
  const std::size_t particles = 200, steps = 500, components = 4;
  std::vector<double> z;
  z.reserve(particles * steps * components);
  for (std::uint64_t p = 0; p < particles; ++p)
    for (std::uint64_t k = 0; k < steps; ++k)
      for (std::uint32_t c = 0; c < components; ++c) z.push_back(sdekit::standard_normal(2024, p, k, c));
  const double n = static_cast<double>(z.size());
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (double v : z) {
    m1 += v;
    m2 += v * v;
    m3 += v * v * v;
    m4 += v * v * v * v;
  }
  m1 /= n;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  CHECK(std::abs(m1) < 5 / std::sqrt(n));
  CHECK(std::abs(m2 - 1) < 5 * std::sqrt(2 / n));
  CHECK(std::abs(m3) < 5 * std::sqrt(6 / n));
  CHECK(std::abs(m4 - 3) < 5 * std::sqrt(24 / n));
  // Kolmogorov–Smirnov against Φ: a correct generator gives p < 1e-4 once in 10^4 seeds.
  const double d = sdekit::ks_statistic(z, sdekit::normal_cdf);
  CHECK(sdekit::ks_p_value(d, z.size()) > 1e-4);
  // Neighbouring components, steps and particles are uncorrelated (|r| < 5/√n each).
  auto correlation = [&](auto first, auto second, std::size_t count) {
    double s = 0;
    for (std::size_t i = 0; i < count; ++i) s += first(i) * second(i);
    return s / static_cast<double>(count);
  };
  const std::size_t count = 100000;
  CHECK(std::abs(correlation([](std::size_t i) { return sdekit::standard_normal(7, i, 3, 0); },
                             [](std::size_t i) { return sdekit::standard_normal(7, i, 3, 1); }, count)) <
        5 / std::sqrt(double(count)));
  CHECK(std::abs(correlation([](std::size_t i) { return sdekit::standard_normal(7, 0, i, 0); },
                             [](std::size_t i) { return sdekit::standard_normal(7, 0, i + 1, 0); }, count)) <
        5 / std::sqrt(double(count)));
  CHECK(std::abs(correlation([](std::size_t i) { return sdekit::standard_normal(7, i, 0, 2); },
                             [](std::size_t i) { return sdekit::standard_normal(7, i + 1, 0, 2); }, count)) <
        5 / std::sqrt(double(count)));
  CHECK(std::abs(correlation([](std::size_t i) { return sdekit::standard_normal(7, 5, i, 0); },
                             [](std::size_t i) { return sdekit::standard_normal(8, 5, i, 0); }, count)) <
        5 / std::sqrt(double(count)));
}

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

TEST_CASE("GaussianNoise scales by sqrt(dt)") {
  const GaussianNoise noise(5, 9);
  double dW = 0;
  noise(4, 0.0, 0.25, dW);
  CHECK(dW == 0.5 * sdekit::standard_normal(5, 9, 4, 0));
  Eigen::Vector3d dv;
  noise(4, 0.0, 0.25, dv);
  for (int c = 0; c < 3; ++c) CHECK(dv[c] == 0.5 * sdekit::standard_normal(5, 9, 4, static_cast<std::uint32_t>(c)));
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

TEST_CASE("noise sources reject bad arguments, naming them") {
  CHECK_THROWS_WITH_AS(BrownianPath(1, 0.0, -0.1), doctest::Contains("fine_dt = -0.1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(BrownianPath(1, 0.0, 0.1, 0), doctest::Contains("dimension = 0"), std::invalid_argument);
  const BrownianPath path(1, 0.0, 0.1);
  double dW;
  CHECK_THROWS_WITH_AS(path(0, 0.05, 0.1, dW), doctest::Contains("t = 0.05"), std::invalid_argument);
  Eigen::Vector3d wrong;
  CHECK_THROWS_WITH_AS(path(0, 0.0, 0.1, wrong), doctest::Contains("dW.size() = 3"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::standard_normal(1, std::uint64_t{1} << 33, 0, 0), doctest::Contains("particle = "),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::RandomStream(1, 0, 1u << 31), doctest::Contains("stream = "), std::invalid_argument);
}

TEST_CASE("RandomStream draws are uniform in (0,1) and reproducible") {
  sdekit::RandomStream a(5, 1, 3), b(5, 1, 3), other(5, 1, 4);
  std::vector<double> u;
  for (int i = 0; i < 50000; ++i) {
    const double x = a.uniform();
    CHECK_MESSAGE((x > 0 && x < 1), "uniform out of (0,1): " << x);
    CHECK(b.uniform() == x);
    u.push_back(x);
  }
  CHECK(other.uniform() != sdekit::RandomStream(5, 1, 3).uniform());
  const double d = sdekit::ks_statistic(u, [](double x) { return x; });
  CHECK(sdekit::ks_p_value(d, u.size()) > 1e-4);
  // Exponential(1): mean 1 within 5 SE (SE = 1/√n).
  double s = 0;
  for (int i = 0; i < 50000; ++i) s += a.exponential();
  CHECK(std::abs(s / 50000 - 1) < 5 / std::sqrt(50000.0));
}
