// Sample statistics. Everything here reduces in a fixed order so that equal data give equal bits.
#include <sdekit/core/errors.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace sdekit {
namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::vector<double> finite_sorted(std::span<const double> values) {
  std::vector<double> sorted;
  sorted.reserve(values.size());
  for (double v : values)
    if (!std::isnan(v)) sorted.push_back(v);
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

double sorted_quantile(const std::vector<double>& sorted, double q) {
  const detail::QuantilePosition at = detail::quantile_position(sorted.size(), q);
  return detail::interpolate_quantile(sorted[at.below], sorted[at.above], at.fraction);
}
}  // namespace

namespace detail {
QuantilePosition quantile_position(std::size_t n, double q) {
  require(q >= 0.0 && q <= 1.0, "sdekit::quantile", "q", q, "must lie in [0, 1]");
  require(n > 0, "sdekit::quantile", "values (non-NaN)", n, "must not be empty");
  const double position = q * static_cast<double>(n - 1);
  const std::size_t below = static_cast<std::size_t>(std::floor(position));
  return {below, std::min(below + 1, n - 1), position - static_cast<double>(below)};
}
}  // namespace detail

Moments::Moments(std::size_t dimension)
    : dimension_(dimension),
      mean_(Eigen::VectorXd::Constant(static_cast<Eigen::Index>(dimension), nan)),
      min_(Eigen::VectorXd::Constant(static_cast<Eigen::Index>(dimension), std::numeric_limits<double>::infinity())),
      max_(Eigen::VectorXd::Constant(static_cast<Eigen::Index>(dimension), -std::numeric_limits<double>::infinity())),
      comoment_(Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(dimension), static_cast<Eigen::Index>(dimension))),
      delta_(static_cast<Eigen::Index>(dimension)) {}

void Moments::add(const double* sample) {
  // Component loops instead of Eigen temporaries: this runs once per particle and save time, so no allocation.
  const auto d = static_cast<Eigen::Index>(dimension_);
  if (count_ == 0) mean_.setZero();
  ++count_;
  const double n = static_cast<double>(count_);
  for (Eigen::Index i = 0; i < d; ++i) {
    delta_[i] = sample[i] - mean_[i];
    mean_[i] += delta_[i] / n;
    min_[i] = std::min(min_[i], sample[i]);
    max_[i] = std::max(max_[i], sample[i]);
  }
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index i = 0; i < d; ++i) comoment_(i, j) += delta_[i] * (sample[j] - mean_[j]);
}

void Moments::merge(const Moments& other) {
  detail::require(other.dimension_ == dimension_, "sdekit::Moments::merge", "other.dimension()", other.dimension_,
                  "must equal " + detail::to_text(dimension_));
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  const double n_a = static_cast<double>(count_);
  const double n_b = static_cast<double>(other.count_);
  const double n = n_a + n_b;
  const Eigen::VectorXd delta = other.mean_ - mean_;
  mean_ += delta * (n_b / n);
  comoment_ += other.comoment_ + (delta * delta.transpose()) * (n_a * n_b / n);
  count_ += other.count_;
  min_ = min_.cwiseMin(other.min_);
  max_ = max_.cwiseMax(other.max_);
}

Eigen::MatrixXd Moments::covariance() const {
  if (count_ < 2) return Eigen::MatrixXd::Constant(comoment_.rows(), comoment_.cols(), nan);
  return comoment_ / static_cast<double>(count_ - 1);
}

Eigen::VectorXd Moments::variance() const { return covariance().diagonal(); }

void Moments::pack(std::vector<double>& out) const {
  out.push_back(static_cast<double>(count_));  // exact: counts stay far below 2^53
  out.insert(out.end(), mean_.data(), mean_.data() + mean_.size());
  out.insert(out.end(), min_.data(), min_.data() + min_.size());
  out.insert(out.end(), max_.data(), max_.data() + max_.size());
  out.insert(out.end(), comoment_.data(), comoment_.data() + comoment_.size());
}

Moments Moments::unpack(const double* data, std::size_t dimension) {
  Moments m(dimension);
  const auto d = static_cast<Eigen::Index>(dimension);
  m.count_ = static_cast<std::size_t>(data[0]);
  m.mean_ = Eigen::Map<const Eigen::VectorXd>(data + 1, d);
  m.min_ = Eigen::Map<const Eigen::VectorXd>(data + 1 + d, d);
  m.max_ = Eigen::Map<const Eigen::VectorXd>(data + 1 + 2 * d, d);
  m.comoment_ = Eigen::Map<const Eigen::MatrixXd>(data + 1 + 3 * d, d, d);
  return m;
}

Moments merge_pairwise(std::vector<Moments> parts) {
  detail::require(!parts.empty(), "sdekit::merge_pairwise", "parts.size()", parts.size(), "must be positive");
  const std::size_t d = parts.front().dimension();
  PairwiseMerge<Moments> total;
  for (Moments& part : parts) total.push(std::move(part));
  return std::move(total).finish(Moments(d));
}

// Chunks of statistics_leaf_size (= moment_chunk) columns through the one tree, PairwiseMerge.
Moments column_moments(const Eigen::MatrixXd& samples) {
  const std::size_t d = static_cast<std::size_t>(samples.rows());
  const auto leaf = static_cast<Eigen::Index>(statistics_leaf_size);
  PairwiseMerge<Moments> total;
  for (Eigen::Index start = 0; start < samples.cols(); start += leaf) {
    Moments part(d);
    const Eigen::Index end = std::min(samples.cols(), start + leaf);
    for (Eigen::Index j = start; j < end; ++j)
      if (!samples.col(j).hasNaN()) part.add(samples.col(j).data());
    total.push(std::move(part));
  }
  return std::move(total).finish(Moments(d));
}

double quantile(std::span<const double> values, double q) { return sorted_quantile(finite_sorted(values), q); }

std::vector<double> quantiles(std::span<const double> values, std::span<const double> qs) {
  const std::vector<double> sorted = finite_sorted(values);
  std::vector<double> out;
  out.reserve(qs.size());
  for (double q : qs) out.push_back(sorted_quantile(sorted, q));
  return out;
}

std::size_t Histogram::total() const {
  std::size_t n = below + above;
  for (std::size_t c : counts) n += c;
  return n;
}

double Histogram::density(std::size_t i) const {
  const std::size_t n = total();
  return n == 0 ? 0.0 : static_cast<double>(counts.at(i)) / (static_cast<double>(n) * bin_width());
}

Histogram histogram(std::span<const double> values, std::size_t bins, double lo, double hi) {
  detail::require(bins > 0, "sdekit::histogram", "bins", bins, "must be positive");
  detail::require(std::isfinite(lo) && std::isfinite(hi) && hi > lo, "sdekit::histogram", "hi", hi,
                  "must be finite and above lo = " + detail::to_text(lo));
  Histogram h{lo, hi, std::vector<std::size_t>(bins, 0), 0, 0};
  for (double v : values) h.add(v);
  return h;
}

void Histogram::add(double v) {
  if (std::isnan(v)) return;
  if (v < lo) ++below;
  else if (v >= hi) ++above;
  else {
    // The clamp catches v just below hi whose scaled position rounds up to the bin count.
    const double scale = static_cast<double>(counts.size()) / (hi - lo);
    counts[std::min(counts.size() - 1, static_cast<std::size_t>((v - lo) * scale))]++;
  }
}

void Histogram::merge(const Histogram& other) {
  detail::require(other.lo == lo && other.hi == hi && other.counts.size() == counts.size(), "sdekit::Histogram::merge",
                  "other.counts.size()", other.counts.size(),
                  "must equal " + detail::to_text(counts.size()) + " over the same [lo, hi)");
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  below += other.below;
  above += other.above;
}

double ks_statistic(std::span<const double> values, const std::function<double(double)>& cdf) {
  const std::vector<double> sorted = finite_sorted(values);
  detail::require(!sorted.empty(), "sdekit::ks_statistic", "values (non-NaN)", sorted.size(), "must not be empty");
  const double n = static_cast<double>(sorted.size());
  double d = 0.0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const double f = cdf(sorted[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

double ks_p_value(double d, std::size_t n) {
  const double sqrt_n = std::sqrt(static_cast<double>(n));
  const double lambda = (sqrt_n + 0.12 + 0.11 / sqrt_n) * d;
  if (lambda < 1e-3) return 1.0;
  double sum = 0.0;
  for (int j = 1; j <= 100; ++j) {
    const double term = 2.0 * ((j % 2 == 1) ? 1.0 : -1.0) * std::exp(-2.0 * j * j * lambda * lambda);
    sum += term;
    if (std::abs(term) < 1e-12) break;
  }
  return std::clamp(sum, 0.0, 1.0);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  detail::require(p > 0.0 && p < 1.0, "sdekit::normal_quantile", "p", p, "must lie in (0, 1)");
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  const double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step on Φ(x) − p brings the relative error to about 1e-15.
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * 3.14159265358979323846) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

}  // namespace sdekit
