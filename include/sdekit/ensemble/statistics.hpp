#pragma once
// Sample statistics the ensembles report: moments (mean, covariance, min, max) accumulated in a fixed order so
// results are bitwise reproducible, exact quantiles, histograms, and goodness-of-fit helpers for tests.
#include <Eigen/Core>

#include <cstddef>
#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace sdekit {

/// Particles (or columns) per leaf of every ensemble reduction: the chunks of column_moments, the leaves of a
/// statistics-only run, and the unit of the segments of a distributed run are all this one size. Fixed, never a
/// tuning knob: the leaves and the merge tree above them depend on particle indices only, so statistics do not
/// depend on threads, block sizes, storage mode or processes.
inline constexpr std::size_t statistics_leaf_size = 1024;
/// The same size under the name the distributed runs use (a segment is a power of two of these chunks).
inline constexpr std::size_t moment_chunk = statistics_leaf_size;

/// The one merge tree of every ensemble reduction, fed leaf by leaf: leaves 2j and 2j+1 merge, then pairs of pairs,
/// … (a binary counter), and the remaining subtrees fold from the right at the end. That is exactly the tree of
/// merge_pairwise (level by level, an odd last part carried up), built with O(log leaves) partial results held, so
/// the rounding is a function of the data and the leaf size alone. Any aligned run of 2^k leaves merges to one node
/// of it, which is what lets a process merge its own segment first (sdekit::mpi) without changing a bit.
/// T needs merge(const T& later), where later's samples follow.
template <class T>
class PairwiseMerge {
 public:
  /// Adds the next leaf.
  void push(T leaf) {
    stack_.emplace_back(0, std::move(leaf));
    while (stack_.size() >= 2 && stack_[stack_.size() - 2].first == stack_.back().first) {
      auto top = std::move(stack_.back());
      stack_.pop_back();
      stack_.back().second.merge(top.second);
      ++stack_.back().first;
    }
  }
  /// The merge of all leaves pushed, or `empty` if there were none.
  T finish(T empty) && {
    if (stack_.empty()) return empty;
    T total = std::move(stack_.back().second);
    for (std::size_t i = stack_.size() - 1; i-- > 0;) {
      stack_[i].second.merge(total);
      total = std::move(stack_[i].second);
    }
    stack_.clear();
    return total;
  }

 private:
  std::vector<std::pair<std::size_t, T>> stack_;  // (level, subtree of 2^level leaves), levels decreasing
};

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

/// Merges partial moments pairwise, level by level (parts[2k] with parts[2k+1], an odd last part carried up): the
/// rounding depends only on the number of parts, and any aligned run of 2^j parts merges to a node of the same tree,
/// which is what lets processes merge their own parts first (sdekit::mpi) without changing a bit. This is
/// PairwiseMerge over the parts in order (one tree for every reduction); throws for no parts.
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

namespace detail {
/// Where the type-7 q-quantile of n sorted values lies: between order statistics `below` and `above` (0-based).
struct QuantilePosition {
  std::size_t below = 0;  ///< index of the lower order statistic
  std::size_t above = 0;  ///< index of the upper order statistic
  double fraction = 0.0;  ///< weight of the upper one
};
/// The position of the q-quantile among n ≥ 1 sorted values; throws for q outside [0, 1] or n = 0.
QuantilePosition quantile_position(std::size_t n, double q);
/// The quantile from its two order statistics (one formula for every way of finding them, so the bits agree).
inline double interpolate_quantile(double lower, double upper, double fraction) {
  return lower + fraction * (upper - lower);
}
}  // namespace detail

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
  /// Counts one value (NaN is ignored).
  void add(double v);
  /// Adds the counts of a histogram with the same bins; throws std::invalid_argument otherwise.
  void merge(const Histogram& other);
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
