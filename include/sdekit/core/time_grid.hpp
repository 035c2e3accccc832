#pragma once
// The step boundaries of an integration: t0 + k·dt (computed, never accumulated), the last step shortened to
// land on t1, and every save time made a boundary of its own so that observers see states exactly there.
#include <sdekit/core/errors.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// Step boundaries over [t0, t1] with step dt, split at the save times; see the file comment.
class TimeGrid {
 public:
  /// The most steps a grid may have (10^8: its boundaries alone take 800 MB); more is refused naming dt.
  static constexpr std::size_t max_steps = 100'000'000;

  /// Throws std::invalid_argument (naming `where`, and the save times as `save_name`) for dt ≤ 0, t1 < t0,
  /// non-finite values, more than max_steps steps, or save times that decrease or lie outside [t0, t1]. No save times
  /// means "save at t1".
  TimeGrid(double t0, double t1, double dt, const std::vector<double>& save_times = {},
           std::string_view where = "sdekit::TimeGrid", std::string_view save_name = "save_times") {
    detail::require(std::isfinite(t0), where, "t0", t0, "must be finite");
    detail::require(std::isfinite(t1), where, "t1", t1, "must be finite");
    detail::require(t1 >= t0, where, "t1", t1, "must not be before t0 = " + detail::to_text(t0));
    detail::require(std::isfinite(dt) && dt > 0, where, "dt", dt, "must be positive and finite");
    std::vector<double> saves = save_times.empty() ? std::vector<double>{t1} : save_times;
    auto name = [&](std::size_t i) { return std::string(save_name) + "[" + std::to_string(i) + "]"; };
    for (std::size_t i = 1; i < saves.size(); ++i)
      detail::require(saves[i] >= saves[i - 1], where, name(i), saves[i],
                      "must not be before " + name(i - 1) + " = " + detail::to_text(saves[i - 1]));
    for (std::size_t i = 0; i < saves.size(); ++i)
      detail::require(saves[i] >= t0 && saves[i] <= t1, where, name(i), saves[i],
                      "must lie in [t0, t1] = [" + detail::to_text(t0) + ", " + detail::to_text(t1) + "]");
    // Times closer than this to a grid point are that grid point: no sliver steps from rounding.
    const double snap = 1e-9 * dt;
    const double span = (t1 - t0) / dt;
    // Refused before the cast below (undefined for huge spans) and before the boundaries are allocated.
    detail::require(span <= static_cast<double>(max_steps), where, "dt", dt,
                    "gives " + detail::to_text(std::ceil(span)) + " steps over [t0, t1] = [" + detail::to_text(t0) +
                        ", " + detail::to_text(t1) + "], more than TimeGrid::max_steps = " + std::to_string(max_steps));
    std::size_t steps = static_cast<std::size_t>(std::ceil(span - 1e-9));
    times_.reserve(steps + saves.size() + 1);
    for (std::size_t k = 0; k < steps; ++k) times_.push_back(t0 + static_cast<double>(k) * dt);
    times_.push_back(t1);
    save_index_.reserve(saves.size());
    for (double s : saves) {
      auto it = std::lower_bound(times_.begin(), times_.end(), s - snap);
      if (it != times_.end() && std::abs(*it - s) <= snap) {
        *it = s;
      } else {
        it = times_.insert(it, s);
      }
      save_index_.push_back(static_cast<std::size_t>(it - times_.begin()));
    }
    // A later insertion shifts the boundaries after it; recompute the indices from the final list.
    for (std::size_t i = 0; i < saves.size(); ++i)
      save_index_[i] =
          static_cast<std::size_t>(std::lower_bound(times_.begin(), times_.end(), saves[i]) - times_.begin());
    saves_ = std::move(saves);
  }

  std::size_t steps() const { return times_.size() - 1; }                      ///< number of steps
  double time(std::size_t k) const { return times_[k]; }                       ///< boundary k (0 … steps())
  double step_size(std::size_t k) const { return times_[k + 1] - times_[k]; }  ///< length of step k
  const std::vector<double>& times() const { return times_; }                  ///< all boundaries
  const std::vector<double>& save_times() const { return saves_; }             ///< the save times
  /// Boundary index of save time i.
  std::size_t save_index(std::size_t i) const { return save_index_[i]; }

 private:
  std::vector<double> times_;
  std::vector<double> saves_;
  std::vector<std::size_t> save_index_;
};

}  // namespace sdekit
