// Statistics: moments against two-pass formulas, bitwise independence of the chunked accumulation from how it is
// fed, Hyndman–Fan type-7 quantiles (NumPy/R reference values), histograms, KS, and the normal CDF/quantile
// against published values.
#include <sdekit/ensemble/statistics.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using sdekit_test::check_throws_naming;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("column_moments agrees with two-pass mean and covariance and skips NaN columns") {
  const Eigen::Index n = 10000;
  Eigen::MatrixXd samples(2, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const double t = static_cast<double>(j);
    samples(0, j) = 1e6 + std::sin(t);  // a large offset: a naive sum of squares would lose the variance
    samples(1, j) = std::cos(0.37 * t) + 0.5 * std::sin(t);
  }
  samples(1, 17) = not_a_number;  // this column does not count
  const sdekit::Moments m = sdekit::column_moments(samples);
  CHECK(m.count() == static_cast<std::size_t>(n - 1));
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  for (Eigen::Index j = 0; j < n; ++j)
    if (j != 17) mean += samples.col(j);
  mean /= static_cast<double>(n - 1);
  Eigen::Matrix2d cov = Eigen::Matrix2d::Zero();
  double lo = 1e300, hi = -1e300;
  for (Eigen::Index j = 0; j < n; ++j)
    if (j != 17) {
      cov += (samples.col(j) - mean) * (samples.col(j) - mean).transpose();
      lo = std::min(lo, samples(1, j));
      hi = std::max(hi, samples(1, j));
    }
  cov /= static_cast<double>(n - 2);
  for (int i = 0; i < 2; ++i) {
    CHECK(m.mean()[i] == doctest::Approx(mean[i]).epsilon(1e-13));
    for (int k = 0; k < 2; ++k) CHECK(m.covariance()(i, k) == doctest::Approx(cov(i, k)).epsilon(1e-10));
  }
  CHECK(m.min()[1] == lo);
  CHECK(m.max()[1] == hi);
  CHECK(m.variance()[0] == m.covariance()(0, 0));
}

TEST_CASE("Moments: empty and single samples, merge of a split equals the whole up to rounding") {
  sdekit::Moments empty(1);
  CHECK(std::isnan(empty.mean()[0]));
  sdekit::Moments one(1);
  const double x = 3.0;
  one.add(&x);
  CHECK(one.mean()[0] == 3.0);
  CHECK(std::isnan(one.variance()[0]));
  sdekit::Moments a(1), b(1), all(1);
  for (int i = 0; i < 100; ++i) {
    const double v = i * 0.5;
    (i < 37 ? a : b).add(&v);
    all.add(&v);
  }
  a.merge(b);
  CHECK(a.count() == 100);
  CHECK(a.mean()[0] == doctest::Approx(all.mean()[0]).epsilon(1e-14));
  CHECK(a.variance()[0] == doctest::Approx(all.variance()[0]).epsilon(1e-13));
  CHECK(a.variance()[0] == doctest::Approx(0.25 * 100 * 101 / 12.0).epsilon(1e-13));  // 0.5² · Var{0..99}
  sdekit::Moments two(2);
  check_throws_naming([&] { a.merge(two); }, "other.dimension()");
}

TEST_CASE("column_moments is a fixed tree: aligned power-of-two pieces merged pairwise give the same bits") {
  // What distributed ensembles rely on: a process computes column_moments of its aligned segment of 2^j chunks, and
  // merging the segments' results pairwise reproduces column_moments of all columns exactly.
  const Eigen::Index chunk = static_cast<Eigen::Index>(sdekit::moment_chunk);
  const Eigen::Index n = 5 * chunk + 123;
  Eigen::MatrixXd samples(2, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    samples(0, j) = std::sin(0.001 * static_cast<double>(j * j)) + 3.0;
    samples(1, j) = j % 101 == 0 ? not_a_number : std::cos(0.7 * static_cast<double>(j));
  }
  const sdekit::Moments whole = sdekit::column_moments(samples);
  for (const Eigen::Index segment : {chunk, 2 * chunk, 4 * chunk}) {
    std::vector<sdekit::Moments> parts;
    for (Eigen::Index start = 0; start < n; start += segment) {
      const Eigen::MatrixXd piece = samples.middleCols(start, std::min(segment, n - start));
      // The node goes through pack/unpack, as between processes.
      std::vector<double> packed;
      sdekit::column_moments(piece).pack(packed);
      CHECK(packed.size() == sdekit::Moments::packed_size(2));
      parts.push_back(sdekit::Moments::unpack(packed.data(), 2));
    }
    const sdekit::Moments merged = sdekit::merge_pairwise(parts);
    CAPTURE(segment);
    CHECK(merged.count() == whole.count());
    CHECK(std::memcmp(merged.mean().data(), whole.mean().data(), 2 * sizeof(double)) == 0);
    const Eigen::MatrixXd a = merged.covariance(), b = whole.covariance();
    CHECK(std::memcmp(a.data(), b.data(), 4 * sizeof(double)) == 0);
    CHECK(std::memcmp(merged.min().data(), whole.min().data(), 2 * sizeof(double)) == 0);
    CHECK(std::memcmp(merged.max().data(), whole.max().data(), 2 * sizeof(double)) == 0);
  }
  // A left fold over the same chunks is a different tree: the bits differ (the test above can fail).
  sdekit::Moments fold(2);
  for (Eigen::Index start = 0; start < n; start += chunk)
    fold.merge(sdekit::column_moments(samples.middleCols(start, std::min(chunk, n - start))));
  const Eigen::MatrixXd a = fold.covariance(), b = whole.covariance();
  CHECK((std::memcmp(fold.mean().data(), whole.mean().data(), 2 * sizeof(double)) != 0 ||
         std::memcmp(a.data(), b.data(), 4 * sizeof(double)) != 0));
  check_throws_naming([] { (void)sdekit::merge_pairwise({}); }, "parts.size()");
}

TEST_CASE("one tree: PairwiseMerge fed part by part equals level-by-level merge_pairwise bit for bit") {
  // The statistics-only leaves (PairwiseMerge, streaming) and the distributed nodes (merge_pairwise) must be the
  // same tree for every number of parts, or the two modes and the processes would round differently.
  static_assert(sdekit::statistics_leaf_size == sdekit::moment_chunk);
  for (std::size_t count = 1; count <= 37; ++count) {
    std::vector<sdekit::Moments> parts;
    for (std::size_t k = 0; k < count; ++k) {
      sdekit::Moments& m = parts.emplace_back(1);
      for (int j = 0; j < 3 + static_cast<int>(k % 5); ++j) {
        const double x = std::sin(0.37 * static_cast<double>(k * 11 + static_cast<std::size_t>(j))) * 1e3 + 1e6;
        m.add(&x);
      }
    }
    sdekit::PairwiseMerge<sdekit::Moments> stream;
    for (const sdekit::Moments& m : parts) stream.push(m);
    const sdekit::Moments a = std::move(stream).finish(sdekit::Moments(1));
    const sdekit::Moments b = sdekit::merge_pairwise(parts);
    CAPTURE(count);
    CHECK(a.count() == b.count());
    CHECK(std::memcmp(a.mean().data(), b.mean().data(), sizeof(double)) == 0);
    const Eigen::MatrixXd ca = a.covariance(), cb = b.covariance();
    CHECK(std::memcmp(ca.data(), cb.data(), sizeof(double)) == 0);
  }
}

TEST_CASE("quantiles follow Hyndman-Fan type 7 (NumPy's default)") {
  // numpy.quantile([1, 2, 3, 4, 10], q) for q = 0, 0.1, 0.25, 0.5, 0.9, 1: 1, 1.4, 2, 3, 7.6, 10.
  const std::vector<double> v{10, 3, not_a_number, 1, 4, 2};
  CHECK(sdekit::quantile(v, 0.0) == 1.0);
  CHECK(sdekit::quantile(v, 0.1) == doctest::Approx(1.4));
  CHECK(sdekit::quantile(v, 0.25) == 2.0);
  CHECK(sdekit::quantile(v, 0.5) == 3.0);
  CHECK(sdekit::quantile(v, 0.9) == doctest::Approx(7.6));
  CHECK(sdekit::quantile(v, 1.0) == 10.0);
  const std::vector<double> qs{0.25, 0.9};
  const std::vector<double> both = sdekit::quantiles(v, qs);
  CHECK(both[0] == 2.0);
  CHECK(both[1] == doctest::Approx(7.6));
  check_throws_naming([&] { (void)sdekit::quantile(v, 1.5); }, "q");
  check_throws_naming([] { (void)sdekit::quantile(std::vector<double>{not_a_number}, 0.5); }, "values");
}

TEST_CASE("histograms count bins, below and above, and their densities integrate to the inside fraction") {
  const std::vector<double> v{-1.0, 0.0, 0.1, 0.5, 0.99, 1.0, 2.0, not_a_number};
  const sdekit::Histogram h = sdekit::histogram(v, 4, 0.0, 1.0);
  CHECK(h.counts == std::vector<std::size_t>{2, 0, 1, 1});
  CHECK(h.below == 1);
  CHECK(h.above == 2);
  CHECK(h.total() == 7);
  CHECK(h.bin_center(0) == 0.125);
  double integral = 0;
  for (std::size_t i = 0; i < 4; ++i) integral += h.density(i) * h.bin_width();
  CHECK(integral == doctest::Approx(4.0 / 7.0));
  check_throws_naming([&] { (void)sdekit::histogram(v, 0, 0.0, 1.0); }, "bins");
  check_throws_naming([&] { (void)sdekit::histogram(v, 4, 1.0, 1.0); }, "hi");
}

TEST_CASE("normal CDF and quantile match published values") {
  // Abramowitz & Stegun table 26.1 / standard references.
  CHECK(sdekit::normal_cdf(0.0) == 0.5);
  CHECK(sdekit::normal_cdf(1.0) == doctest::Approx(0.8413447460685429).epsilon(1e-14));
  CHECK(sdekit::normal_cdf(-1.96) == doctest::Approx(0.024997895148220435).epsilon(1e-13));
  CHECK(sdekit::normal_quantile(0.975) == doctest::Approx(1.959963984540054).epsilon(1e-13));
  CHECK(sdekit::normal_quantile(0.5) == doctest::Approx(0.0).epsilon(1e-15));
  CHECK(sdekit::normal_quantile(1e-10) == doctest::Approx(-6.361340902404056).epsilon(1e-12));
  CHECK(sdekit::normal_quantile(0.999) == doctest::Approx(3.090232306167813).epsilon(1e-13));
  check_throws_naming([] { (void)sdekit::normal_quantile(1.0); }, "p");
}

TEST_CASE("KS statistic and p-value") {
  // The KS statistic of {0.1, 0.4, 0.7} against U(0,1): max over i of i/n − x_(i) and x_(i) − (i−1)/n = 0.3.
  const std::vector<double> v{0.7, 0.1, 0.4};
  CHECK(sdekit::ks_statistic(v, [](double x) { return x; }) == doctest::Approx(0.3));
  // Kolmogorov's distribution: P(K > 1.3581) = 0.05 and P(K > 1.6276) = 0.01 (large-n critical values).
  const std::size_t n = 1000000;
  const double scale = std::sqrt(static_cast<double>(n)) + 0.12 + 0.11 / std::sqrt(static_cast<double>(n));
  CHECK(sdekit::ks_p_value(1.3581 / scale, n) == doctest::Approx(0.05).epsilon(2e-3));
  CHECK(sdekit::ks_p_value(1.6276 / scale, n) == doctest::Approx(0.01).epsilon(2e-3));
  CHECK(sdekit::ks_p_value(0.0, n) == 1.0);
}
