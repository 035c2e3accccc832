#pragma once
// Sampling grids for any linear forward process (anything with mean_coefficient(t) = a_t and marginal_std(t) = σ_t:
// VpSde, SubVpSde, VeSde, SigmaProcess), placed in the quantities the fast samplers care about: the half log-SNR
// λ_t = log(a_t/σ_t) (uniform steps in λ: Lu et al. 2022, DPM-Solver's "logSNR" grid) or the EDM noise level
// σ̃_t = σ_t/a_t (Karras et al. 2022's ρ = 7 spacing). Both are mapped back to diffusion time t by bisection,
// λ_t being decreasing in t for every process here.
#include <sdekit/core/errors.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace sdekit {

/// λ_t = log(a_t/σ_t), the half log signal-to-noise ratio of a process at time t.
template <class Process>
double half_log_snr(const Process& process, double t) {
  return std::log(process.mean_coefficient(t)) - std::log(process.marginal_std(t));
}

namespace detail {
/// The t in [t_min, t_max] with λ_t = target (λ decreasing in t), by bisection to the last bit.
template <class Process>
double time_of_half_log_snr(const Process& process, double target, double t_min, double t_max) {
  double lo = t_min, hi = t_max;  // λ(lo) ≥ target ≥ λ(hi)
  for (int i = 0; i < 200 && hi - lo > 0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (half_log_snr(process, mid) > target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

inline void check_time_range(double t_max, double t_min, std::size_t steps, const char* where) {
  require(std::isfinite(t_min) && t_min > 0, where, "t_min", t_min, "must be positive and finite");
  require(std::isfinite(t_max) && t_max > t_min, where, "t_max", t_max,
          "must be finite and above t_min = " + to_text(t_min));
  require(steps >= 1, where, "steps", steps, "must be at least 1");
}

template <class Process>
std::vector<double> times_of_half_log_snrs(const Process& process, std::vector<double> lambdas, double t_max,
                                           double t_min) {
  std::vector<double> times(lambdas.size());
  times.front() = t_max;
  times.back() = t_min;
  for (std::size_t i = 1; i + 1 < lambdas.size(); ++i)
    times[i] = time_of_half_log_snr(process, lambdas[i], t_min, t_max);
  return times;
}

/// Checks a sampling grid t_0 > t_1 > … > t_K for `process`: at least two finite times, strictly decreasing, a_t > 0
/// everywhere and σ_t > 0 except at the last time (which may be clean data, σ = 0: SigmaProcess at t = 0).
template <class Process>
void check_sampling_times(const Process& process, const std::vector<double>& times, const char* where) {
  require(times.size() >= 2, where, "times.size()", times.size(), "must be at least 2");
  for (std::size_t i = 0; i < times.size(); ++i) {
    const std::string name = "times[" + std::to_string(i) + "]";
    require(std::isfinite(times[i]) && times[i] >= 0, where, name, times[i], "must be finite and >= 0");
    if (i > 0)
      require(times[i] < times[i - 1], where, name, times[i],
              "must be below times[" + std::to_string(i - 1) + "] = " + to_text(times[i - 1]) +
                  " (sampling goes from noise to data)");
    const double a = process.mean_coefficient(times[i]), sigma = process.marginal_std(times[i]);
    require(std::isfinite(a) && a > 0, where, "mean_coefficient(" + name + ")", a, "must be positive and finite");
    const bool last = i + 1 == times.size();
    require(std::isfinite(sigma) && (sigma > 0 || (last && sigma == 0)), where, "marginal_std(" + name + ")", sigma,
            last ? "must be finite and >= 0" : "must be positive and finite (only the last time may be noise-free)");
  }
}
}  // namespace detail

/// steps + 1 decreasing times from t_max to t_min, evenly spaced in λ_t = log(a_t/σ_t) (DPM-Solver's default).
template <class Process>
std::vector<double> logsnr_uniform_times(const Process& process, double t_max, double t_min, std::size_t steps) {
  detail::check_time_range(t_max, t_min, steps, "sdekit::logsnr_uniform_times");
  const double l0 = half_log_snr(process, t_max), l1 = half_log_snr(process, t_min);
  std::vector<double> lambdas(steps + 1);
  for (std::size_t i = 0; i <= steps; ++i)
    lambdas[i] = l0 + static_cast<double>(i) / static_cast<double>(steps) * (l1 - l0);
  return detail::times_of_half_log_snrs(process, std::move(lambdas), t_max, t_min);
}

/// steps + 1 decreasing times from t_max to t_min whose noise levels σ̃_t = σ_t/a_t follow Karras et al.'s spacing
/// σ̃_i = (σ̃_max^{1/ρ} + i/steps (σ̃_min^{1/ρ} − σ̃_max^{1/ρ}))^ρ. For SigmaProcess this is karras_sigmas without
/// its final 0.
template <class Process>
std::vector<double> karras_times(const Process& process, double t_max, double t_min, std::size_t steps,
                                 double rho = 7.0) {
  constexpr const char* where = "sdekit::karras_times";
  detail::check_time_range(t_max, t_min, steps, where);
  detail::require(std::isfinite(rho) && rho > 0, where, "rho", rho, "must be positive and finite");
  const double a = std::pow(std::exp(-half_log_snr(process, t_max)), 1.0 / rho);
  const double b = std::pow(std::exp(-half_log_snr(process, t_min)), 1.0 / rho);
  std::vector<double> lambdas(steps + 1);
  for (std::size_t i = 0; i <= steps; ++i)
    lambdas[i] = -rho * std::log(a + static_cast<double>(i) / static_cast<double>(steps) * (b - a));
  return detail::times_of_half_log_snrs(process, std::move(lambdas), t_max, t_min);
}

}  // namespace sdekit
