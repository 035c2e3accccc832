#pragma once
// Exact quantiles of an ensemble without its states. Particle i's path is a pure function of (seed, i), so the
// ensemble can be run again and give the same values. Each quantile of n values is one or two order statistics
// (ranks); for each, a closed bracket [lo, hi] known to hold it starts as [min, max] and each pass re-runs the
// particles: while more than `capacity` values lie in the bracket, they are counted in `bins` bins (with each bin's
// smallest and largest value) and the bracket becomes the extremes of the bin holding the rank; once few enough
// lie in it, the pass collects them and the order statistic is read off after sorting. The quantile is then
// interpolated by the same formula as sdekit::quantile, so the two agree bit for bit.
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/result.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace sdekit::detail {

/// What one pass gathers for one order statistic: counts and extremes per bin, or the values in the bracket.
struct OrderStatisticPass {
  std::vector<std::size_t> counts;  ///< values per bin (narrowing pass)
  std::vector<double> mins, maxs;   ///< smallest and largest value per bin (narrowing pass)
  std::vector<double> values;       ///< the values inside the bracket (collecting pass)
  /// Adds another range of particles' findings (counts and extremes are order-free; values are sorted later).
  void merge(const OrderStatisticPass& other);
};

/// The passes of one pass set: one OrderStatisticPass per order statistic, mergeable in any order.
struct QuantilePass {
  std::vector<OrderStatisticPass> targets;  ///< one per order statistic searched
  /// Adds another range of particles' findings.
  void merge(const QuantilePass& other);
};

/// The search for every requested quantile at every save time (see the header comment).
class QuantileSearch {
 public:
  /// Starts from the first pass's statistics (counts, min and max per save).
  QuantileSearch(const StatisticsOptions& options, const std::vector<SaveStatistics>& statistics);
  /// True when every order statistic is known.
  bool done() const { return unresolved_ == 0; }
  /// Re-simulation passes run so far.
  std::size_t passes() const { return passes_; }
  /// Empty findings for the next pass.
  QuantilePass start_pass() const;
  /// Records one particle's state at save `save` into `pass`.
  void add(QuantilePass& pass, std::size_t save, const double* state) const;
  /// Narrows the brackets from the findings of a whole pass; throws std::invalid_argument naming
  /// statistics.quantile_max_passes when that many passes did not suffice.
  void finish_pass(const QuantilePass& pass, std::string_view where);
  /// Writes the quantiles into statistics[s].quantiles.
  void write(std::vector<SaveStatistics>& statistics) const;

 private:
  struct Target {
    std::size_t save = 0, component = 0, rank = 0;
    double lo = 0, hi = 0;   // closed bracket holding the order statistic
    std::size_t below = 0;   // values < lo
    std::size_t inside = 0;  // values in [lo, hi]
    bool resolved = false;
    double value = 0;
    bool collect = false;  // this pass collects the values instead of counting bins
    double scale = 0;      // bins / (hi − lo)
  };
  struct Request {
    std::size_t lower = 0, upper = 0;  // target indices of the two order statistics
    double fraction = 0;
    bool empty = true;  // no particle alive at this save
  };
  std::size_t target(std::size_t save, std::size_t component, std::size_t rank, const SaveStatistics& st);
  void prepare();

  std::size_t bins_, capacity_, max_passes_;
  std::vector<Target> targets_;
  std::vector<std::vector<Request>> requests_;    // [save][quantile request]
  std::vector<std::vector<std::size_t>> active_;  // [save]: unresolved target indices
  std::size_t unresolved_ = 0;
  std::size_t passes_ = 0;
};

}  // namespace sdekit::detail
