#pragma once
// Sample statistics the ensembles report: moments (mean, covariance, min, max) accumulated in a fixed order so
// results are bitwise reproducible, exact quantiles, histograms, and goodness-of-fit helpers for tests.
#include <Eigen/Core>

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace sdekit {

/// Running mean, covariance, min and max of d-dimensional samples (Welford's update, Chan et al.'s merge).
class Moments {
 public:
  /// Moments of `dimension`-component samples, none added yet.
  explicit Moments(std::size_t dimension = 1);

  /// Adds one sample of `dimension` components.
  void add(const double* sample);
  /// Adds all samples of `other` (the merge is exact in exact arithmetic; its rounding depends on the split,
  /// so reproducible code merges in a fixed order).
  void merge(const Moments& other);

  std::size_t count() const { return count_; }           ///< samples added
  std::size_t dimension() const { return dimension_; }   ///< components per sample
  const Eigen::VectorXd& mean() const { return mean_; }  ///< sample mean (NaN when empty)
  Eigen::MatrixXd covariance() const;                    ///< unbiased sample covariance (NaN below 2 samples)
  Eigen::VectorXd variance() const;                      ///< diagonal of covariance()
  const Eigen::VectorXd& min() const { return min_; }    ///< componentwise minimum
  const Eigen::VectorXd& max() const { return max_; }    ///< componentwise maximum

  /// Doubles that packed() writes for `dimension` components.
  static std::size_t packed_size(std::size_t dimension) { return 1 + dimension * (3 + dimension); }
  /// Appends the exact state (count, mean, min, max, co-moments) to `out`, to send it to another process.
  void pack(std::vector<double>& out) const;
  /// The moments that pack() wrote at `data`, bit for bit.
  static Moments unpack(const double* data, std::size_t dimension);

 private:
  std::size_t dimension_;
  std::size_t count_ = 0;
  Eigen::VectorXd mean_, min_, max_;
  Eigen::MatrixXd comoment_;  // Σ (x − mean)(x − mean)ᵀ
  Eigen::VectorXd delta_;     // scratch for add()
};

/// Columns per chunk of column_moments. Distributed ensembles cut the particles at multiples of it, so it is fixed,
/// never a tuning knob.
inline constexpr std::size_t moment_chunk = 1024;

/// Merges partial moments pairwise, level by level (parts[2k] with parts[2k+1], an odd last part carried up): the
/// rounding depends only on the number of parts, and any aligned run of 2^j parts merges to a node of the same tree,
/// which is what lets processes merge their own parts first (sdekit::mpi) without changing a bit.
Moments merge_pairwise(std::vector<Moments> parts);

/// Moments of the columns of `samples` (one sample per column) that contain no NaN: the columns of each chunk of
/// moment_chunk are added in order and the chunks merged by merge_pairwise, so the result depends only on the data,
/// not on threads, block sizes or processes.
Moments column_moments(const Eigen::MatrixXd& samples);

/// The exact q-quantile (0 ≤ q ≤ 1) of the non-NaN values, with linear interpolation between order statistics
/// (Hyndman–Fan type 7, the default of R and NumPy). Throws std::invalid_argument for q outside [0, 1] or no values.
double quantile(std::span<const double> values, double q);

/// Several quantiles of the same values (one sort).
std::vector<double> quantiles(std::span<const double> values, std::span<const double> qs);

/// Counts of values in `bins` equal-width bins over [lo, hi); values outside are counted in `below` / `above`.
struct Histogram {
  double lo = 0;                    ///< left edge of the first bin
  double hi = 1;                    ///< right edge of the last bin
  std::vector<std::size_t> counts;  ///< count per bin
  std::size_t below = 0;            ///< values < lo
  std::size_t above = 0;            ///< values ≥ hi
  std::size_t total() const;        ///< all non-NaN values seen, inside and outside
  double bin_width() const { return (hi - lo) / static_cast<double>(counts.size()); }  ///< width of each bin
  double bin_center(std::size_t i) const {
    return lo + (static_cast<double>(i) + 0.5) * bin_width();
  }  ///< centre of bin i
  /// Density estimate in bin i: count / (total · width), so it integrates to the fraction inside [lo, hi).
  double density(std::size_t i) const;
};

/// Histogram of the non-NaN values; throws for bins = 0 or hi ≤ lo.
Histogram histogram(std::span<const double> values, std::size_t bins, double lo, double hi);

/// The Kolmogorov–Smirnov statistic sup |F_n(x) − F(x)| of the non-NaN values against a continuous CDF.
double ks_statistic(std::span<const double> values, const std::function<double(double)>& cdf);

/// The asymptotic p-value of a KS statistic d from n samples (Kolmogorov's distribution, Stephens' correction).
double ks_p_value(double d, std::size_t n);

/// The standard normal CDF Φ(x).
double normal_cdf(double x);

/// The standard normal quantile Φ⁻¹(p), 0 < p < 1 (Acklam's approximation refined by one Halley step).
double normal_quantile(double p);

}  // namespace sdekit
