#pragma once
// Euler ancestral sampling in the EDM parameterisation (Karras et al. 2022; k-diffusion's sample_euler_ancestral):
// in the scaled state y = x/a_t with noise level σ̃ = σ_t/a_t, each step from σ̃ to σ̃' splits the move into a
// deterministic Euler step of the probability-flow ODE dy/dσ̃ = (y − D)/σ̃ down to σ_down and fresh noise of std
// σ_up, with σ_up = min(σ̃', η √(σ̃'²(σ̃² − σ̃'²)/σ̃²)) and σ_down = √(σ̃'² − σ_up²), so that the marginal variance is
// that of the ancestral (DDPM) step for η = 1. The last step adds no noise; one score evaluation per step.
#include <sdekit/detail/batched_chain.hpp>
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/schedules.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace sdekit {

/// Euler ancestral over the decreasing times `times` of `process` (SigmaProcess with karras_sigmas is the EDM
/// setting; VP/VE processes work through y = x/a_t), from x_T, with a per-particle or batched score. η = 0 is the
/// deterministic Euler method of the probability-flow ODE; η = 1 the ancestral sampler. Bitwise the same for any
/// thread count and block size (particle i's noise is RandomStream(seed, i, 1)).
template <class Process, class Score, class Init>
auto sample_euler_ancestral(const Process& process, const Score& score, const Init& x_T,
                            const std::vector<double>& times, const ReverseSampleOptions& options, double eta = 1.0) {
  constexpr const char* where = "sdekit::sample_euler_ancestral";
  using X = typename detail::initial_state<Init>::type;
  detail::require(std::isfinite(eta) && eta >= 0 && eta <= 1, where, "eta", eta, "must lie in [0, 1]");
  detail::check_sampling_times(process, times, where);
  detail::validate_run_options(options, where);
  const auto batched = detail::batched_view<X>(score);  // no copy of the user's model
  detail::EvaluationCounter counter(options.threads);
  const detail::BlockScore<decltype(batched)> score_of{&batched, &counter, where};
  const std::size_t K = times.size() - 1;

  auto step = [&](detail::ParticleBlock& block, std::size_t k) {
    const double t = times[k], a = process.mean_coefficient(t), sigma = process.marginal_std(t);
    const double a_next = process.mean_coefficient(times[k + 1]), sigma_next = process.marginal_std(times[k + 1]);
    const double level = sigma / a, level_next = sigma_next / a_next;
    const Eigen::MatrixXd s = score_of(block, t);
    const Eigen::MatrixXd denoised = (block.x + (sigma * sigma) * s) / a;
    const bool last = k + 1 == K;
    const double up =
        last ? 0.0
             : std::min(level_next, eta * std::sqrt(level_next * level_next *
                                                    (level * level - level_next * level_next) / (level * level)));
    const double down = std::sqrt(level_next * level_next - up * up);
    // y' = D + (σ_down/σ̃)(y − D), the Euler step y + (σ_down − σ̃)(y − D)/σ̃ written without cancellation.
    Eigen::MatrixXd y = denoised + (down / level) * (block.x / a - denoised);
    if (up > 0.0)
      for (Eigen::Index j = 0; j < y.cols(); ++j) y.col(j) += up * block.normal(j);
    block.x = a_next * y;
  };
  auto result = detail::run_batched_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

}  // namespace sdekit
