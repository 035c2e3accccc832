#pragma once
// UniPC (Zhao et al. 2023, "UniPC: a unified predictor-corrector framework for fast sampling of diffusion models"),
// the B(h) = e^{h} − 1 ("bh2") variant of order 2 with data prediction, as diffusers' UniPCMultistepScheduler runs it
// by default. With the denoiser D, λ = log(a/σ), h = λ_t − λ_s and B = e^{−h} − 1, on each step:
//   corrector UniC at t_k (no extra score call: it reuses D_k, evaluated at the predicted x_k):
//     x_k ← (σ_k/σ_{k−1}) x̄_{k−1} − a_k B D_{k−1} − a_k B (ρ₀ d₁ + ρ₁ (D_k − D_{k−1})),
//     d₁ = (D_{k−2} − D_{k−1})/r, r = (λ_{k−2} − λ_{k−1})/h, (ρ₀, ρ₁) solving [[1, 1], [r, 1]] ρ = (b₀, b₁) with
//     b₀ = φ₁/B, b₁ = 2φ₂/B, φ₁ = B/(−h) − 1, φ₂ = φ₁/(−h) − ½ (ρ = ½ alone while only one earlier output exists);
//     x̄_{k−1} is the corrected state at t_{k−1};
//   predictor UniP-2 from t_k to t_{k+1}: x ← (σ_{k+1}/σ_k) x − a_{k+1} B D_k − ½ a_{k+1} B d₁ (first order on the
//     first step), which is DPM-Solver++ 2M.
// One score evaluation per step; a step to σ = 0 is x = a D. The corrector raises the order by one (UniPC-2 is of
// order 3; measured in tests/diffusion).
#include <sdekit/detail/batched_chain.hpp>
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/schedules.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <cstddef>
#include <vector>

namespace sdekit {

/// UniPC-bh2 of order 2 with the UniC corrector over the decreasing times `times` of `process`, from x_T, with a
/// per-particle or batched score; deterministic (the probability-flow ODE). Bitwise the same for any thread count
/// and block size.
template <class Process, class Score, class Init>
auto sample_unipc(const Process& process, const Score& score, const Init& x_T, const std::vector<double>& times,
                  const ReverseSampleOptions& options) {
  constexpr const char* where = "sdekit::sample_unipc";
  using X = typename detail::initial_state<Init>::type;
  detail::check_sampling_times(process, times, where);
  detail::validate_run_options(options, where);
  const auto batched = detail::batched_view<X>(score);  // no copy of the user's model
  detail::EvaluationCounter counter(options.threads);
  const detail::BlockScore<decltype(batched)> score_of{&batched, &counter, where};
  const std::size_t K = times.size() - 1;
  std::vector<double> lambda(K + 1, 0.0), a(K + 1), sigma(K + 1);
  for (std::size_t i = 0; i <= K; ++i) {
    a[i] = process.mean_coefficient(times[i]);
    sigma[i] = process.marginal_std(times[i]);
    if (sigma[i] > 0) lambda[i] = half_log_snr(process, times[i]);
  }
  // memory[0] = D_{k−1}, memory[1] = D_{k−2}, memory[2] = the corrected state at t_{k−1}.
  auto step = [&](detail::ParticleBlock& block, std::size_t k) {
    const Eigen::MatrixXd s = score_of(block, times[k]);
    Eigen::MatrixXd denoised = (block.x + (sigma[k] * sigma[k]) * s) / a[k];
    if (block.memory.empty()) block.memory.resize(3);
    if (k >= 1) {  // UniC: correct x_k with D_k, from the corrected x_{k−1}
      const double h = lambda[k] - lambda[k - 1];
      const double B = std::expm1(-h);
      const Eigen::MatrixXd& m0 = block.memory[0];
      Eigen::MatrixXd x = (sigma[k] / sigma[k - 1]) * block.memory[2] - (a[k] * B) * m0;
      if (k >= 2) {
        const double r = (lambda[k - 2] - lambda[k - 1]) / h;
        const double phi1 = B / -h - 1.0;
        const double phi2 = phi1 / -h - 0.5;
        const double b0 = phi1 / B, b1 = 2.0 * phi2 / B;
        const double rho0 = (b0 - b1) / (1.0 - r), rho1 = b0 - rho0;
        x -= (a[k] * B) * (rho0 * ((block.memory[1] - m0) / r) + rho1 * (denoised - m0));
      } else {
        x -= (a[k] * B * 0.5) * (denoised - m0);
      }
      block.x = std::move(x);
    }
    block.memory[2] = block.x;
    if (sigma[k + 1] == 0.0) {
      block.x = a[k + 1] * denoised;
    } else {  // UniP-2 (DPM-Solver++ 2M), first order on the first step
      const double h = lambda[k + 1] - lambda[k];
      const double B = std::expm1(-h);
      Eigen::MatrixXd x = (sigma[k + 1] / sigma[k]) * block.x - (a[k + 1] * B) * denoised;
      if (k >= 1) {
        const double r = (lambda[k - 1] - lambda[k]) / h;
        x -= (a[k + 1] * B * 0.5) * ((block.memory[0] - denoised) / r);
      }
      block.x = std::move(x);
    }
    block.memory[1] = std::move(block.memory[0]);
    block.memory[0] = std::move(denoised);
  };
  auto result = detail::run_batched_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

}  // namespace sdekit
