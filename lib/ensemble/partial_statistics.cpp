// Partial ensemble statistics: accumulation per particle and merge in particle order.
#include <sdekit/core/errors.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>

namespace sdekit {

SavePartial::SavePartial(std::size_t dimension, const StatisticsOptions& options)
    : moments(dimension), reductions(options.reductions.size(), Moments(1)) {
  histograms.reserve(options.histograms.size());
  for (const HistogramRequest& h : options.histograms)
    histograms.push_back(Histogram{h.lo, h.hi, std::vector<std::size_t>(h.bins, 0), 0, 0});
}

void SavePartial::add(const double* state, const StatisticsOptions& options) {
  moments.add(state);
  for (std::size_t i = 0; i < histograms.size(); ++i) histograms[i].add(state[options.histograms[i].component]);
  const std::span<const double> x(state, moments.dimension());
  for (std::size_t i = 0; i < reductions.size(); ++i) {
    const double f = options.reductions[i].f(x);
    reductions[i].add(&f);
  }
}

void SavePartial::merge(const SavePartial& later) {
  moments.merge(later.moments);
  detail::require(later.histograms.size() == histograms.size() && later.reductions.size() == reductions.size(),
                  "sdekit::SavePartial::merge", "later.histograms.size()", later.histograms.size(),
                  "must equal " + std::to_string(histograms.size()) + " (partials of the same requests)");
  for (std::size_t i = 0; i < histograms.size(); ++i) histograms[i].merge(later.histograms[i]);
  for (std::size_t i = 0; i < reductions.size(); ++i) reductions[i].merge(later.reductions[i]);
}

SaveStatistics SavePartial::finish(double time, const StatisticsOptions& options) const {
  SaveStatistics st;
  st.time = time;
  st.alive = moments.count();
  st.mean = moments.mean();
  st.covariance = moments.covariance();
  st.variance = st.covariance.diagonal();
  st.min = moments.min();
  st.max = moments.max();
  st.histograms = histograms;
  for (std::size_t i = 0; i < reductions.size(); ++i) {
    const Moments& m = reductions[i];
    ReductionStatistics r;
    r.name = options.reductions[i].name;
    r.count = m.count();
    r.mean = m.mean()[0];
    r.variance = m.variance()[0];
    r.standard_error = std::sqrt(r.variance / static_cast<double>(r.count));
    r.min = m.min()[0];
    r.max = m.max()[0];
    st.reductions.push_back(std::move(r));
  }
  return st;
}

std::size_t SavePartial::packed_size(std::size_t dimension, const StatisticsOptions& options) {
  std::size_t n = Moments::packed_size(dimension) + options.reductions.size() * Moments::packed_size(1);
  for (const HistogramRequest& h : options.histograms) n += h.bins + 2;
  return n;
}

void SavePartial::pack(std::vector<double>& out) const {
  moments.pack(out);
  for (const Histogram& h : histograms) {
    for (std::size_t c : h.counts) out.push_back(static_cast<double>(c));
    out.push_back(static_cast<double>(h.below));
    out.push_back(static_cast<double>(h.above));
  }
  for (const Moments& r : reductions) r.pack(out);
}

SavePartial SavePartial::unpack(const double* data, std::size_t dimension, const StatisticsOptions& options) {
  SavePartial p(dimension, options);
  p.moments = Moments::unpack(data, dimension);
  data += Moments::packed_size(dimension);
  for (Histogram& h : p.histograms) {
    for (std::size_t& c : h.counts) c = static_cast<std::size_t>(*data++);
    h.below = static_cast<std::size_t>(*data++);
    h.above = static_cast<std::size_t>(*data++);
  }
  for (Moments& r : p.reductions) {
    r = Moments::unpack(data, 1);
    data += Moments::packed_size(1);
  }
  return p;
}

PartialStatistics::PartialStatistics(std::size_t saves, std::size_t dimension, const StatisticsOptions& options)
    : saves(saves, SavePartial(dimension, options)) {}

void PartialStatistics::merge(const PartialStatistics& later) {
  detail::require(later.saves.size() == saves.size(), "sdekit::PartialStatistics::merge", "later.saves.size()",
                  later.saves.size(), "must equal " + std::to_string(saves.size()));
  for (std::size_t s = 0; s < saves.size(); ++s) saves[s].merge(later.saves[s]);
}

}  // namespace sdekit

namespace sdekit::detail {

SavePartial stored_partial(const Eigen::MatrixXd& values, const StatisticsOptions& options) {
  const std::size_t d = static_cast<std::size_t>(values.rows());
  const auto leaf = static_cast<Eigen::Index>(statistics_leaf_size);
  PairwiseMerge<SavePartial> total;
  for (Eigen::Index start = 0; start < values.cols(); start += leaf) {
    SavePartial part(d, options);
    const Eigen::Index end = std::min(values.cols(), start + leaf);
    for (Eigen::Index j = start; j < end; ++j)
      if (!values.col(j).hasNaN()) part.add(values.col(j).data(), options);
    total.push(std::move(part));
  }
  return std::move(total).finish(SavePartial(d, options));
}

void stored_quantiles(const Eigen::MatrixXd& values, SaveStatistics& st, const StatisticsOptions& options) {
  // Quantiles from the sorted values of each requested component (a failed particle's column is all NaN).
  std::vector<std::vector<double>> sorted(static_cast<std::size_t>(values.rows()));
  for (const QuantileRequest& q : options.quantiles) {
    std::vector<double>& v = sorted[q.component];
    if (v.empty() && st.alive > 0) {
      v.reserve(st.alive);
      for (Eigen::Index j = 0; j < values.cols(); ++j)
        if (!values.col(j).hasNaN()) v.push_back(values(static_cast<Eigen::Index>(q.component), j));
      std::sort(v.begin(), v.end());
    }
    if (st.alive == 0) {
      st.quantiles.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    const QuantilePosition at = quantile_position(v.size(), q.q);
    st.quantiles.push_back(interpolate_quantile(v[at.below], v[at.above], at.fraction));
  }
}

SaveStatistics stored_statistics(const Eigen::MatrixXd& values, double time, const StatisticsOptions& options) {
  SaveStatistics st = stored_partial(values, options).finish(time, options);
  stored_quantiles(values, st, options);
  return st;
}

}  // namespace sdekit::detail
