// The virtual Brownian tree: values independent of the query history (bit for bit), the law of W and of the
// space-time Lévy area H over dyadic intervals (moments within 4.5 standard errors), additivity, the cost of
// monotone stepping, and bad input.
#include <sdekit/core/brownian_tree.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using Vec2 = Eigen::Vector2d;
using Inc2 = sdekit::TimeIntegralIncrement<Vec2>;

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }
bool same_bits(const Inc2& a, const Inc2& b) {
  for (int c = 0; c < 2; ++c)
    if (!same_bits(a.dW[c], b.dW[c]) || !same_bits(a.I10[c], b.I10[c])) return false;
  return true;
}

// Random grid intervals [k0, k1] of a tree with 2^depth leaves, from a fixed generator.
std::vector<std::pair<std::uint64_t, std::uint64_t>> random_intervals(int depth, std::size_t count, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::uint64_t> point(0, std::uint64_t{1} << depth);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  while (out.size() < count) {
    std::uint64_t a = point(rng), b = point(rng);
    if (a == b) continue;
    out.emplace_back(std::min(a, b), std::max(a, b));
  }
  return out;
}

}  // namespace

TEST_CASE("a tree's increments do not depend on the order of queries, bit for bit") {
  constexpr int depth = 18;
  const auto intervals = random_intervals(depth, 300, 7);
  auto query_all = [&](sdekit::BrownianTree& tree, const std::vector<std::size_t>& order,
                       const std::vector<std::uint64_t>& noise_points) {
    std::vector<Inc2> out(intervals.size());
    std::size_t extra = 0;
    for (std::size_t i : order) {
      if (!noise_points.empty()) (void)tree.value(noise_points[extra++ % noise_points.size()], 1);
      out[i].dW.setZero();
      out[i].I10.setZero();
      tree.increment(intervals[i].first, intervals[i].second, out[i]);
    }
    return out;
  };
  std::vector<std::size_t> forward(intervals.size());
  for (std::size_t i = 0; i < forward.size(); ++i) forward[i] = i;
  std::vector<std::size_t> backward(forward.rbegin(), forward.rend());
  std::vector<std::size_t> shuffled = forward;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(11));
  std::vector<std::uint64_t> noise_points;
  for (const auto& [a, b] : random_intervals(depth, 97, 13)) noise_points.push_back(a + (b - a) / 3);

  sdekit::BrownianTree a(42, 0.25, 3.0, depth, 2, 5);
  const auto reference = query_all(a, forward, {});
  sdekit::BrownianTree b(42, 0.25, 3.0, depth, 2, 5);
  const auto reversed = query_all(b, backward, {});
  sdekit::BrownianTree c(42, 0.25, 3.0, depth, 2, 5);
  const auto mixed = query_all(c, shuffled, noise_points);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    // And a fresh tree for every single query: no cache at all.
    sdekit::BrownianTree fresh(42, 0.25, 3.0, depth, 2, 5);
    Inc2 alone{Vec2::Zero(), Vec2::Zero()};
    fresh.increment(intervals[i].first, intervals[i].second, alone);
    if (!same_bits(reference[i], reversed[i]) || !same_bits(reference[i], mixed[i]) || !same_bits(reference[i], alone))
      ++mismatches;
  }
  CHECK(mismatches == 0);

  // The noise-source call gives the same bits as the index call, and other particles and seeds other paths.
  sdekit::BrownianTree d(42, 0.25, 3.0, depth, 2, 5);
  Inc2 by_time{Vec2::Zero(), Vec2::Zero()};
  const auto [k0, k1] = intervals[3];
  d(0, d.time_of(k0), d.time_of(k1) - d.time_of(k0), by_time);
  CHECK(same_bits(by_time, reference[3]));
  sdekit::BrownianTree other_particle(42, 0.25, 3.0, depth, 2, 6), other_seed(43, 0.25, 3.0, depth, 2, 5);
  Inc2 p{Vec2::Zero(), Vec2::Zero()}, s{Vec2::Zero(), Vec2::Zero()};
  other_particle.increment(k0, k1, p);
  other_seed.increment(k0, k1, s);
  CHECK(p.dW[0] != reference[3].dW[0]);
  CHECK(s.dW[0] != reference[3].dW[0]);

  // A scalar tree's increment equals component 0 of a wider tree's: components are independent counters.
  sdekit::BrownianTree scalar(42, 0.25, 3.0, depth, 1, 5);
  sdekit::TimeIntegralIncrement<double> one;
  scalar.increment(k0, k1, one);
  CHECK(same_bits(one.dW, reference[3].dW[0]));
  CHECK(same_bits(one.I10, reference[3].I10[0]));
}

namespace {

// Moments of W and H = I_(1,0)/h − W/2 over a few fixed grid intervals (disjoint ones, a deep three-leaf one that
// is not a node, a node), over `paths` trees (one particle each). Returns the largest |z-score| among the checks
// on the variances (W: h, H: h/12) and, separately, among the means and covariances (all 0).
template <class Tree>
std::pair<double, double> law_z_scores(std::size_t paths) {
  constexpr int depth = 20;
  const double t0 = 0.5, t1 = 2.5, T = t1 - t0;
  const std::uint64_t n = std::uint64_t{1} << depth;
  // Disjoint: [0, a], [a, b], [b, c] (c < n), then a 3-leaf interval and a node [k·2^10, (k+1)·2^10].
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals = {
      {0, 312345}, {312345, 700001}, {700001, 1000003}, {1000003, 1000006}, {1000 * 1024, 1001 * 1024}};
  const std::size_t q = intervals.size();
  std::vector<double> h(q);
  for (std::size_t i = 0; i < q; ++i) h[i] = T * static_cast<double>(intervals[i].second - intervals[i].first) / n;
  // Sums of x, and of x·y, for x, y in (W_0 … W_{q−1}, H_0 … H_{q−1}).
  const std::size_t v = 2 * q;
  std::vector<double> sum(v, 0.0), cross(v * v, 0.0), x(v);
  for (std::size_t p = 0; p < paths; ++p) {
    Tree tree(2024, t0, t1, depth, 1, p);
    for (std::size_t i = 0; i < q; ++i) {
      sdekit::TimeIntegralIncrement<double> inc;
      tree.increment(intervals[i].first, intervals[i].second, inc);
      x[i] = inc.dW;
      x[q + i] = inc.I10 / h[i] - 0.5 * inc.dW;
    }
    for (std::size_t a = 0; a < v; ++a) {
      sum[a] += x[a];
      for (std::size_t b = 0; b < v; ++b) cross[a * v + b] += x[a] * x[b];
    }
  }
  const double N = static_cast<double>(paths);
  auto variance_of = [&](std::size_t a) { return a < q ? h[a] : h[a - q] / 12.0; };
  double variance_z = 0, other_z = 0;
  for (std::size_t a = 0; a < v; ++a) {
    const double mean = sum[a] / N;
    other_z = std::max(other_z, std::abs(mean) / std::sqrt(variance_of(a) / N));
    for (std::size_t b = a; b < v; ++b) {
      const double second = cross[a * v + b] / N;  // the means are known to be 0
      if (a == b) {
        // Var of the sample second moment of a centred normal: 2σ⁴/N.
        variance_z = std::max(variance_z, std::abs(second - variance_of(a)) / (variance_of(a) * std::sqrt(2.0 / N)));
      } else {
        other_z = std::max(other_z, std::abs(second) / std::sqrt(variance_of(a) * variance_of(b) / N));
      }
    }
  }
  MESSAGE("largest |z| of the variances " << variance_z << ", of the means and covariances " << other_z);
  return {variance_z, other_z};
}

}  // namespace

TEST_CASE("W over disjoint intervals is independent with variance h; H has variance h/12, independent of W") {
  const std::size_t paths = sdekit_test::scaled(100000, 20000);
  const auto [variance_z, other_z] = law_z_scores<sdekit::BrownianTree>(paths);
  // 4.5 standard errors for each of 5 variances of W, 5 of H, 10 means and 45 covariances.
  CHECK(variance_z < 4.5);
  CHECK(other_z < 4.5);
}

TEST_CASE("a bridge with the wrong variance (h/2 instead of h/4) fails the variance test") {
  // The torchsde / RSwM bug class: the test above must be able to see it.
  const auto [variance_z, other_z] = law_z_scores<sdekit::BasicBrownianTree<0.5>>(sdekit_test::scaled(20000, 5000));
  CHECK(variance_z > 4.5);
  (void)other_z;
}

TEST_CASE("increments add up over adjacent intervals, to rounding of the point values") {
  // W(s, u) is the difference of the point values W(u) − W(s) (scaled), so W(s, t) + W(t, u) − W(s, u) is only the
  // rounding of three subtractions and an addition: at most 4 ulp of max |W| at the three points (half an ulp of a
  // result up to 2 max |W| each); 2 ulp were measured. Exact additivity would need W in fixed point.
  constexpr int depth = 24;
  sdekit::BrownianTree tree(9, 0.0, 4.0, depth, 1, 0);
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> point(0, std::uint64_t{1} << depth);
  double worst = 0;
  for (int i = 0; i < 2000; ++i) {
    std::uint64_t k[3] = {point(rng), point(rng), point(rng)};
    std::sort(k, k + 3);
    double st, tu, su;
    tree.increment(k[0], k[1], st);
    tree.increment(k[1], k[2], tu);
    tree.increment(k[0], k[2], su);
    const double scale =
        std::max({std::abs(tree.value(k[0])), std::abs(tree.value(k[1])), std::abs(tree.value(k[2])), 1e-300});
    worst = std::max(worst, std::abs(st + tu - su) / (std::nextafter(scale, 2 * scale) - scale));
  }
  MESSAGE("largest |W(s,t) + W(t,u) − W(s,u)| in ulp of max |W|: " << worst);
  CHECK(worst <= 4.0);
}

TEST_CASE("stepping forward costs amortised O(1) Philox blocks per step") {
  constexpr int depth = 30;
  // Uniform steps of 2^10 leaves: every end is a node of level ≤ 20, each drawn once.
  sdekit::BrownianTree tree(1, 0.0, 1.0, depth, 3, 0);
  Eigen::Vector3d dW;
  const std::uint64_t stride = std::uint64_t{1} << 10, steps = std::uint64_t{1} << 20;
  for (std::uint64_t k = 0; k < steps; ++k) tree.increment(k * stride, (k + 1) * stride, dW);
  const double per_step = static_cast<double>(tree.philox_blocks()) / static_cast<double>(steps) / 3.0;
  MESSAGE("uniform steps: " << per_step << " node draws per step and Wiener process");
  CHECK(per_step <= 1.0 + 1e-5);
  // Retrying a step (a rejection) with a shorter one costs no more than descending to the new end.
  const std::uint64_t before = tree.philox_blocks();
  tree.increment(123 * stride, 124 * stride, dW);
  tree.increment(123 * stride, 123 * stride + 7, dW);
  CHECK(tree.philox_blocks() - before <= 3 * 2 * depth);
}

TEST_CASE("the tree rejects bad input, naming the argument") {
  using sdekit_test::check_throws_naming;
  check_throws_naming([] { sdekit::BrownianTree(1, 1.0, 1.0, 10); }, "t1");
  check_throws_naming([] { sdekit::BrownianTree(1, 0.0, 1.0, 0); }, "depth");
  check_throws_naming([] { sdekit::BrownianTree(1, 0.0, 1.0, 53); }, "depth");
  check_throws_naming([] { sdekit::BrownianTree(1, 0.0, 1.0, 10, 0); }, "dimension");
  check_throws_naming([] { sdekit::BrownianTree(1, 0.0, 1.0, 10, 1, std::uint64_t{1} << 32); }, "particle");
  sdekit::BrownianTree tree(1, 0.0, 1.0, 4, 2);
  check_throws_naming([&] { (void)tree.index_of(0.3); }, "t");
  check_throws_naming([&] { (void)tree.index_of(1.0625); }, "t");
  Vec2 dW;
  check_throws_naming([&] { tree.increment(5, 4, dW); }, "k1");
  check_throws_naming([&] { tree.increment(0, 17, dW); }, "k1");
  Eigen::Vector3d wrong;
  check_throws_naming([&] { tree.increment(0, 4, wrong); }, "dW.size()");
  check_throws_naming([&] { tree(0, 0.0, 0.1, dW); }, "t + dt");
  check_throws_naming([&] { (void)tree.value(3, 2); }, "component");
  // Lévy areas are not generated: a stepper that needs them does not compile with a tree as its noise source.
  static_assert(
      !std::is_invocable_v<sdekit::BrownianTree&, std::uint64_t, double, double, sdekit::LevyAreaIncrement<Vec2>&>);
  static_assert(std::is_invocable_v<sdekit::BrownianTree&, std::uint64_t, double, double, Inc2&>);
}
