#pragma once
// The discrete-time diffusion of Ho et al. 2020 (DDPM): x_t = √(1−β_t) x_{t−1} + √β_t ε for t = 1 … N, so that
// q(x_t | x0) = N(√ᾱ_t x0, (1−ᾱ_t) I) with ᾱ_t = Π_{s≤t}(1−β_s). Its samplers consume a noise predictor ε(x, t)
// (t the integer step, passed as a double): DDPM ancestral sampling with σ_t² = β_t or β̃_t, DDIM with η.
// Also the σ schedule of Karras et al. 2022 (EDM, ρ = 7) with its Heun sampler, which consumes a score s(x, σ).
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace sdekit {

/// A DDPM β schedule β_1 … β_N with ᾱ_t. As a Process (mean_coefficient √ᾱ_t, marginal_std √(1−ᾱ_t), t rounded to
/// the nearest step) it plugs into the exact scores of diffusion_scores.hpp.
class DdpmSchedule {
 public:
  /// From β_1 … β_N, each in (0, 1).
  explicit DdpmSchedule(std::vector<double> betas) : betas_(std::move(betas)) {
    constexpr const char* where = "sdekit::DdpmSchedule";
    detail::require(!betas_.empty(), where, "betas.size()", betas_.size(), "must be at least 1");
    alpha_bars_.resize(betas_.size() + 1);
    alpha_bars_[0] = 1.0;
    for (std::size_t i = 0; i < betas_.size(); ++i) {
      detail::require(std::isfinite(betas_[i]) && betas_[i] > 0 && betas_[i] < 1, where,
                      "betas[" + std::to_string(i) + "]", betas_[i], "must lie in (0, 1)");
      alpha_bars_[i + 1] = alpha_bars_[i] * (1.0 - betas_[i]);
    }
  }
  std::size_t steps() const { return betas_.size(); }                  ///< N
  double beta(std::size_t t) const { return betas_.at(t - 1); }        ///< β_t, t = 1 … N
  double alpha(std::size_t t) const { return 1.0 - beta(t); }          ///< α_t = 1 − β_t
  double alpha_bar(std::size_t t) const { return alpha_bars_.at(t); }  ///< ᾱ_t, t = 0 … N (ᾱ_0 = 1)
  /// β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) β_t, the variance of q(x_{t−1} | x_t, x0).
  double posterior_variance(std::size_t t) const { return (1.0 - alpha_bar(t - 1)) / (1.0 - alpha_bar(t)) * beta(t); }
  /// Process interface: √ᾱ_t.
  double mean_coefficient(double t) const { return std::sqrt(alpha_bar(index(t))); }
  /// Process interface: √(1 − ᾱ_t).
  double marginal_std(double t) const { return std::sqrt(1.0 - alpha_bar(index(t))); }
  /// Forward noising x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε with the given ε.
  template <class X>
  X noise(const X& x0, std::size_t t, const X& eps) const {
    return X(std::sqrt(alpha_bar(t)) * x0 + std::sqrt(1.0 - alpha_bar(t)) * eps);
  }
  /// A draw from q(x_t | x0).
  template <class X>
  X sample_marginal(const X& x0, std::size_t t, RandomStream& rng) const {
    return noise(x0, t, X(detail::standard_normal_state(rng, x0)));
  }
  const std::vector<double>& betas() const { return betas_; }  ///< β_1 … β_N

 private:
  std::size_t index(double t) const { return static_cast<std::size_t>(std::lround(t)); }
  std::vector<double> betas_;
  std::vector<double> alpha_bars_;
};

/// Linear β from beta_start to beta_end over `steps` (Ho et al.: 1e-4 → 0.02 over 1000).
inline DdpmSchedule linear_beta_schedule(std::size_t steps = 1000, double beta_start = 1e-4, double beta_end = 0.02) {
  constexpr const char* where = "sdekit::linear_beta_schedule";
  detail::require(steps >= 1, where, "steps", steps, "must be at least 1");
  detail::require(beta_start > 0 && beta_start < 1, where, "beta_start", beta_start, "must lie in (0, 1)");
  detail::require(beta_end >= beta_start && beta_end < 1, where, "beta_end", beta_end,
                  "must lie in [beta_start, 1) = [" + detail::to_text(beta_start) + ", 1)");
  std::vector<double> b(steps);
  for (std::size_t i = 0; i < steps; ++i)
    b[i] = steps == 1 ? beta_start
                      : beta_start + (beta_end - beta_start) * static_cast<double>(i) / static_cast<double>(steps - 1);
  return DdpmSchedule(std::move(b));
}

/// The cosine schedule of Nichol & Dhariwal 2021: ᾱ_t = f(t)/f(0), f(t) = cos²(((t/N) + s)/(1 + s)·π/2),
/// β_t = min(1 − ᾱ_t/ᾱ_{t−1}, max_beta).
inline DdpmSchedule cosine_beta_schedule(std::size_t steps = 1000, double s = 0.008, double max_beta = 0.999) {
  constexpr const char* where = "sdekit::cosine_beta_schedule";
  detail::require(steps >= 1, where, "steps", steps, "must be at least 1");
  detail::require(std::isfinite(s) && s > 0, where, "s", s, "must be positive and finite");
  detail::require(max_beta > 0 && max_beta < 1, where, "max_beta", max_beta, "must lie in (0, 1)");
  auto f = [&](double t) {
    const double c = std::cos((t / static_cast<double>(steps) + s) / (1.0 + s) * 1.5707963267948966);
    return c * c;
  };
  std::vector<double> b(steps);
  for (std::size_t i = 0; i < steps; ++i)
    b[i] = std::min(1.0 - f(static_cast<double>(i + 1)) / f(static_cast<double>(i)), max_beta);
  return DdpmSchedule(std::move(b));
}

/// Fixed-large DDPM variance σ² = β (exact when the data are N(0, I)).
struct DdpmFixedLarge {
  /// Variance of the step from t to s < t, with β = 1 − ᾱ_t/ᾱ_s.
  double operator()(const DdpmSchedule& q, std::size_t t, std::size_t s) const {
    return 1.0 - q.alpha_bar(t) / q.alpha_bar(s);
  }
};
/// Fixed-small DDPM variance σ² = β̃ = (1 − ᾱ_s)/(1 − ᾱ_t) β (exact when the data are one point).
struct DdpmFixedSmall {
  /// Variance of the step from t to s < t.
  double operator()(const DdpmSchedule& q, std::size_t t, std::size_t s) const {
    return (1.0 - q.alpha_bar(s)) / (1.0 - q.alpha_bar(t)) * (1.0 - q.alpha_bar(t) / q.alpha_bar(s));
  }
};

/// The steps N = τ_0 > τ_1 > … > τ_K = 0 of a sampler that uses K of the N steps (uniformly spaced, rounded).
inline std::vector<double> ddpm_timesteps(const DdpmSchedule& q, std::size_t steps) {
  detail::require(steps >= 1 && steps <= q.steps(), "sdekit::ddpm_timesteps", "steps", steps,
                  "must lie in [1, N] = [1, " + std::to_string(q.steps()) + "]");
  std::vector<double> times(steps + 1);
  for (std::size_t k = 0; k <= steps; ++k)
    times[k] = std::round(static_cast<double>(q.steps()) * static_cast<double>(steps - k) / static_cast<double>(steps));
  return times;
}

/// DDPM ancestral sampling (Ho et al. 2020, Algorithm 2, eq. 11) with the noise predictor eps(x, t) over
/// `steps` of the N steps (options.steps; 0 or N: all), from t to s < t with α = ᾱ_t/ᾱ_s, β = 1 − α:
///   x_s = (x_t − β/√(1−ᾱ_t) ε(x_t, t))/√α + σ z,   σ² = variance(q, t, s)  (DdpmFixedLarge, DdpmFixedSmall, or yours)
/// and no noise on the last step (to t = 0). options.epsilon and time_grid are not used; save_times are steps.
template <class NoisePredictor, class Init, class Variance = DdpmFixedSmall>
auto sample_ddpm(const DdpmSchedule& q, const NoisePredictor& eps, const Init& x_T, const ReverseSampleOptions& options,
                 const Variance& variance = {}) {
  constexpr const char* where = "sdekit::sample_ddpm";
  using X = typename detail::initial_state<Init>::type;
  const std::vector<double> times = ddpm_timesteps(q, options.steps == 0 ? q.steps() : options.steps);
  detail::EvaluationCounter counter(options.threads);
  const detail::CheckedScore<NoisePredictor> e_of{&eps, &counter, where};
  const std::size_t K = times.size() - 1;
  auto step = [&](X& x, std::size_t k, RandomStream& rng) {
    const auto t = static_cast<std::size_t>(times[k]), s = static_cast<std::size_t>(times[k + 1]);
    const double alpha = q.alpha_bar(t) / q.alpha_bar(s), beta = 1.0 - alpha;
    const X e = e_of(x, static_cast<double>(t));
    x = X((x - beta / std::sqrt(1.0 - q.alpha_bar(t)) * e) / std::sqrt(alpha));
    if (k + 1 < K) x += std::sqrt(variance(q, t, s)) * detail::standard_normal_state(rng, x);
  };
  auto result = detail::run_reverse_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

/// DDIM (Song, Meng & Ermon 2021, eq. 12) over options.steps of the N steps, from t to s < t:
///   x̂0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t,  x_s = √ᾱ_s x̂0 + √(1 − ᾱ_s − σ²) ε + σ z,
///   σ = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_s);  η = 0 is deterministic, η = 1 is DDPM with β̃. No noise on the last step.
template <class NoisePredictor, class Init>
auto sample_ddim(const DdpmSchedule& q, const NoisePredictor& eps, const Init& x_T, const ReverseSampleOptions& options,
                 double eta = 0.0) {
  constexpr const char* where = "sdekit::sample_ddim";
  using X = typename detail::initial_state<Init>::type;
  detail::require(std::isfinite(eta) && eta >= 0 && eta <= 1, where, "eta", eta, "must lie in [0, 1]");
  const std::vector<double> times = ddpm_timesteps(q, options.steps == 0 ? q.steps() : options.steps);
  detail::EvaluationCounter counter(options.threads);
  const detail::CheckedScore<NoisePredictor> e_of{&eps, &counter, where};
  const std::size_t K = times.size() - 1;
  auto step = [&](X& x, std::size_t k, RandomStream& rng) {
    const auto t = static_cast<std::size_t>(times[k]), s = static_cast<std::size_t>(times[k + 1]);
    const double at = q.alpha_bar(t), as = q.alpha_bar(s);
    const double sigma = eta * std::sqrt((1.0 - as) / (1.0 - at) * (1.0 - at / as));
    const X e = e_of(x, static_cast<double>(t));
    const X x0 = X((x - std::sqrt(1.0 - at) * e) / std::sqrt(at));
    const bool last = k + 1 == K;
    const double s2 = last ? 0.0 : sigma * sigma;
    x = X(std::sqrt(as) * x0 + std::sqrt(std::max(0.0, 1.0 - as - s2)) * e);
    if (!last && sigma > 0) x += sigma * detail::standard_normal_state(rng, x);
  };
  auto result = detail::run_reverse_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

/// The noise levels of Karras et al. 2022, eq. 5: σ_i = (σ_max^{1/ρ} + i/(K−1)(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ for
/// i < K, then σ_K = 0. Returns K + 1 values, decreasing.
inline std::vector<double> karras_sigmas(std::size_t steps, double sigma_min = 0.002, double sigma_max = 80.0,
                                         double rho = 7.0) {
  constexpr const char* where = "sdekit::karras_sigmas";
  detail::require(steps >= 2, where, "steps", steps, "must be at least 2");
  detail::require(std::isfinite(sigma_min) && sigma_min > 0, where, "sigma_min", sigma_min,
                  "must be positive and finite");
  detail::require(std::isfinite(sigma_max), where, "sigma_max", sigma_max, "must be finite");
  detail::require(sigma_min < sigma_max, where, "sigma_min", sigma_min,
                  "must be below sigma_max = " + detail::to_text(sigma_max));
  detail::require(std::isfinite(rho) && rho > 0, where, "rho", rho, "must be positive and finite");
  std::vector<double> sigmas(steps + 1);
  const double a = std::pow(sigma_max, 1.0 / rho), b = std::pow(sigma_min, 1.0 / rho);
  for (std::size_t i = 0; i < steps; ++i)
    sigmas[i] = std::pow(a + static_cast<double>(i) / static_cast<double>(steps - 1) * (b - a), rho);
  sigmas[steps] = 0.0;
  return sigmas;
}

/// The deterministic Heun sampler of Karras et al. 2022 (Algorithm 1) on the ODE dx/dσ = −σ s(x, σ) over the
/// decreasing noise levels `sigmas` (from karras_sigmas; must end at 0): an Euler step, then the trapezoidal
/// correction except on the last step to σ = 0 — 2K − 1 score evaluations. The score is that of SigmaProcess
/// (x_σ = x0 + σz); x_T is typically N(0, σ_max² I). options.steps/epsilon/time_grid are not used; save_times
/// are noise levels.
template <class Score, class Init>
auto sample_edm_heun(const Score& score, const Init& x_T, const std::vector<double>& sigmas,
                     const ReverseSampleOptions& options) {
  constexpr const char* where = "sdekit::sample_edm_heun";
  using X = typename detail::initial_state<Init>::type;
  detail::require(sigmas.size() >= 2, where, "sigmas.size()", sigmas.size(), "must be at least 2");
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    detail::require(std::isfinite(sigmas[i]) && sigmas[i] >= 0, where, "sigmas[" + std::to_string(i) + "]", sigmas[i],
                    "must be finite and >= 0");
    if (i > 0)
      detail::require(sigmas[i] < sigmas[i - 1], where, "sigmas[" + std::to_string(i) + "]", sigmas[i],
                      "must be below sigmas[" + std::to_string(i - 1) + "] (noise levels must decrease)");
  }
  detail::EvaluationCounter counter(options.threads);
  const detail::CheckedScore<Score> s_of{&score, &counter, where};
  auto step = [&](X& x, std::size_t k, RandomStream&) {
    const double s0 = sigmas[k], s1 = sigmas[k + 1];
    const X d0 = X(-s0 * s_of(x, s0));
    const X x1 = X(x + (s1 - s0) * d0);
    if (s1 == 0.0) {
      x = x1;
      return;
    }
    const X d1 = X(-s1 * s_of(x1, s1));
    x += (s1 - s0) * 0.5 * (d0 + d1);
  };
  auto result = detail::run_reverse_chain(x_T, sigmas, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

}  // namespace sdekit
