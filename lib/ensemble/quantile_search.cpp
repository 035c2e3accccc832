// Exact quantiles by re-simulation: the bracket search of detail::QuantileSearch.
#include <sdekit/core/errors.hpp>
#include <sdekit/detail/quantile_search.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sdekit::detail {

void OrderStatisticPass::merge(const OrderStatisticPass& other) {
  for (std::size_t j = 0; j < counts.size(); ++j) {
    counts[j] += other.counts[j];
    mins[j] = std::min(mins[j], other.mins[j]);
    maxs[j] = std::max(maxs[j], other.maxs[j]);
  }
  values.insert(values.end(), other.values.begin(), other.values.end());
}

void QuantilePass::merge(const QuantilePass& other) {
  for (std::size_t t = 0; t < targets.size(); ++t) targets[t].merge(other.targets[t]);
}

QuantileSearch::QuantileSearch(const StatisticsOptions& options, const std::vector<SaveStatistics>& statistics)
    : bins_(options.quantile_bins),
      capacity_(options.quantile_capacity),
      max_passes_(options.quantile_max_passes),
      requests_(statistics.size()),
      active_(statistics.size()) {
  for (std::size_t s = 0; s < statistics.size(); ++s) {
    const SaveStatistics& st = statistics[s];
    for (const QuantileRequest& q : options.quantiles) {
      Request r;
      if (st.alive > 0) {
        const QuantilePosition at = quantile_position(st.alive, q.q);
        r = {target(s, q.component, at.below, st), target(s, q.component, at.above, st), at.fraction, false};
      }
      requests_[s].push_back(r);
    }
  }
  prepare();
}

std::size_t QuantileSearch::target(std::size_t save, std::size_t component, std::size_t rank,
                                   const SaveStatistics& st) {
  for (std::size_t t = 0; t < targets_.size(); ++t)
    if (targets_[t].save == save && targets_[t].component == component && targets_[t].rank == rank) return t;
  Target t;
  t.save = save;
  t.component = component;
  t.rank = rank;
  t.lo = st.min[static_cast<Eigen::Index>(component)];
  t.hi = st.max[static_cast<Eigen::Index>(component)];
  t.inside = st.alive;
  // All values equal: min is every order statistic.
  t.resolved = t.lo == t.hi;
  t.value = t.lo;
  targets_.push_back(t);
  return targets_.size() - 1;
}

void QuantileSearch::prepare() {
  unresolved_ = 0;
  for (auto& a : active_) a.clear();
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.resolved) continue;
    ++unresolved_;
    t.collect = t.inside <= capacity_;
    t.scale = static_cast<double>(bins_) / (t.hi - t.lo);
    active_[t.save].push_back(i);
  }
}

QuantilePass QuantileSearch::start_pass() const {
  QuantilePass pass;
  pass.targets.resize(targets_.size());
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const Target& t = targets_[i];
    if (t.resolved || t.collect) continue;
    OrderStatisticPass& p = pass.targets[i];
    p.counts.assign(bins_, 0);
    p.mins.assign(bins_, std::numeric_limits<double>::infinity());
    p.maxs.assign(bins_, -std::numeric_limits<double>::infinity());
  }
  return pass;
}

void QuantileSearch::add(QuantilePass& pass, std::size_t save, const double* state) const {
  for (std::size_t i : active_[save]) {
    const Target& t = targets_[i];
    const double v = state[t.component];
    if (!(v >= t.lo && v <= t.hi)) continue;
    OrderStatisticPass& p = pass.targets[i];
    if (t.collect) {
      p.values.push_back(v);
    } else {
      const std::size_t j = std::min(bins_ - 1, static_cast<std::size_t>((v - t.lo) * t.scale));
      ++p.counts[j];
      p.mins[j] = std::min(p.mins[j], v);
      p.maxs[j] = std::max(p.maxs[j], v);
    }
  }
}

void QuantileSearch::finish_pass(const QuantilePass& pass, std::string_view where) {
  ++passes_;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.resolved) continue;
    const OrderStatisticPass& p = pass.targets[i];
    if (t.collect) {
      std::vector<double> values = p.values;
      require(values.size() == t.inside, where, "re-simulated values in a quantile bracket", values.size(),
              "must equal the " + std::to_string(t.inside) + " of the previous pass (a particle is not reproducible)");
      const std::size_t k = t.rank - t.below;
      std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
      t.value = values[k];
      t.resolved = true;
      continue;
    }
    std::size_t before = t.below;
    std::size_t j = 0;
    while (j + 1 < bins_ && before + p.counts[j] <= t.rank) before += p.counts[j++];
    require(p.counts[j] > 0 && before <= t.rank, where, "re-simulated values in a quantile bracket", p.counts[j],
            "must hold rank " + std::to_string(t.rank) + " (a particle is not reproducible)");
    t.below = before;
    t.inside = p.counts[j];
    t.lo = p.mins[j];
    t.hi = p.maxs[j];
    if (t.lo == t.hi) {
      t.resolved = true;
      t.value = t.lo;
    }
  }
  prepare();
  if (!done() && passes_ >= max_passes_) {
    std::size_t most = 0;
    for (const Target& t : targets_)
      if (!t.resolved) most = std::max(most, t.inside);
    throw_invalid(where, "statistics.quantile_max_passes", max_passes_,
                  "passes did not isolate the quantiles: a bracket still holds " + std::to_string(most) +
                      " values; raise quantile_max_passes, quantile_bins or quantile_capacity");
  }
}

void QuantileSearch::write(std::vector<SaveStatistics>& statistics) const {
  for (std::size_t s = 0; s < statistics.size(); ++s) {
    statistics[s].quantiles.clear();
    for (const Request& r : requests_[s])
      statistics[s].quantiles.push_back(
          r.empty ? std::numeric_limits<double>::quiet_NaN()
                  : interpolate_quantile(targets_[r.lower].value, targets_[r.upper].value, r.fraction));
  }
}

}  // namespace sdekit::detail
