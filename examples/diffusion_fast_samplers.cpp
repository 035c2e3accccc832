// Quality per score evaluation of the samplers diffusion practitioners use (DPM-Solver++ 2M/3M and their SDE
// variants, UniPC, Euler ancestral) next to EDM Heun, DDIM and the reverse SDE, on the benchmark of diffusion_quality:
// the 2-D mixture of six Gaussians with its exact score, at budgets of 5, 10, 20 and 50 score evaluations per sample,
// the score given in batched form (one call per block of particles, as a network would be called). Reports the
// sliced W2 and energy distances to exact samples and the floor of two exact sets.
//   usage: diffusion_fast_samplers [samples=4000] [seed=1]
// Writes diffusion_fast_samplers_table.txt (quoted by docs/diffusion-models.md).
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/ddpm.hpp>
#include <sdekit/diffusion/dpm_solver.hpp>
#include <sdekit/diffusion/euler_ancestral.hpp>
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/schedules.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/diffusion/unipc.hpp>
#include <sdekit/ensemble/sample_distance.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace sdekit;
using V2 = Eigen::Vector2d;
using M2 = Eigen::Matrix2d;

namespace {

/// The six-mode mixture of examples/diffusion_quality.cpp (the same weights, means and covariances).
struct Mixture {
  std::vector<double> weights{0.25, 0.1, 0.2, 0.05, 0.15, 0.25};
  std::vector<V2> means;
  std::vector<M2> covariances;
  Mixture() {
    for (int k = 0; k < 6; ++k) {
      const double angle = 2 * M_PI * k / 6;
      means.push_back(V2(4 * std::cos(angle), 4 * std::sin(angle)));
      M2 c;
      const double s = 0.15 + 0.05 * k;
      c << s, 0.5 * s * std::cos(angle), 0.5 * s * std::cos(angle), s;
      covariances.push_back(c);
    }
  }
  template <class Process>
  GaussianMixtureScore<Process, 2> score(const Process& p) const {
    return GaussianMixtureScore<Process, 2>(p, weights, means, covariances);
  }
};

/// A per-particle score presented in batched form, as a network wrapper would present itself: s(X, t) on n×B.
template <class Score>
struct BatchedScoreOf {
  Score score;
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    Eigen::MatrixXd out(x.rows(), x.cols());
    for (Eigen::Index j = 0; j < x.cols(); ++j) out.col(j) = score(V2(x.col(j)), t[j]);
    return out;
  }
};

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 4000;
  const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 1;
  const Mixture mix;
  const VpSde<> vp;
  const DdpmSchedule ddpm = linear_beta_schedule();
  //[ fast_samplers
  // The score, batched: one call per block of particles (RunOptions::block_size, 256 by default).
  const BatchedScoreOf<GaussianMixtureScore<SigmaProcess, 2>> edm_score{mix.score(SigmaProcess{})};
  const BatchedScoreOf<GaussianMixtureScore<VpSde<>, 2>> vp_score{mix.score(vp)};
  auto edm_prior = [](std::size_t, RandomStream& rng) { return V2(80 * rng.normal(), 80 * rng.normal()); };
  ReverseSampleOptions o;
  o.particles = n;
  o.seed = seed;
  const std::size_t budget = 10;                             // score evaluations per sample
  const std::vector<double> sigmas = karras_sigmas(budget);  // EDM noise levels, ρ = 7, ending at 0
  const auto dpm_2m = sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, sigmas, o);
  const auto dpm_3m_sde = sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, sigmas, o, {.order = 3, .eta = 1});
  const auto ancestral = sample_euler_ancestral(SigmaProcess{}, edm_score, edm_prior, sigmas, o);
  // The VP SDE on a grid uniform in log-SNR, from T = 1 down to ε = 1e-3.
  const auto vp_2m =
      sample_dpm_solver(vp, vp_score, vp.prior_sampler<V2>(), logsnr_uniform_times(vp, 1, 1e-3, budget), o);
  //]
  if (dpm_2m.score_evaluations != budget * n || !dpm_3m_sde.ensemble.failures.empty() ||
      !ancestral.ensemble.failures.empty() || !vp_2m.ensemble.failures.empty())
    throw std::runtime_error("the snippet's runs did not use their budget or lost particles");

  Eigen::MatrixXd exact(2, static_cast<Eigen::Index>(n)), exact2(2, static_cast<Eigen::Index>(n));
  const auto data = mix.score(vp);
  for (std::size_t i = 0; i < n; ++i) {
    RandomStream r1(seed + 1000, i), r2(seed + 2000, i);
    exact.col(static_cast<Eigen::Index>(i)) = data.sample_data(r1);
    exact2.col(static_cast<Eigen::Index>(i)) = data.sample_data(r2);
  }
  const auto per_particle_vp = mix.score(vp);
  const auto ddpm_eps = noise_predictor_from_score(mix.score(ddpm), ddpm);
  auto unit_prior = [](std::size_t, RandomStream& rng) { return V2(rng.normal(), rng.normal()); };
  using Run = std::function<DiffusionSamples<V2>(std::size_t)>;
  // Each sampler as a function of the budget E of score evaluations per sample (Heun: K steps cost 2K − 1).
  const std::vector<std::pair<std::string, Run>> samplers{
      {"DPM-Solver++ 2M Karras",
       [&](std::size_t e) { return sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o); }},
      {"DPM-Solver++ 2M logSNR (VP)",
       [&](std::size_t e) {
         return sample_dpm_solver(vp, vp_score, vp.prior_sampler<V2>(), logsnr_uniform_times(vp, 1, 1e-3, e), o);
       }},
      {"DPM-Solver++ 3M Karras",
       [&](std::size_t e) {
         return sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o, {.order = 3});
       }},
      {"3M, k-diffusion's weight",
       [&](std::size_t e) {
         return sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o,
                                  {.order = 3, .halved_third_order_term = true});
       }},
      {"DPM-Solver++ 2M SDE Karras",
       [&](std::size_t e) {
         return sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o, {.eta = 1});
       }},
      {"DPM-Solver++ 3M SDE Karras",
       [&](std::size_t e) {
         return sample_dpm_solver(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o, {.order = 3, .eta = 1});
       }},
      {"UniPC-bh2 Karras",
       [&](std::size_t e) { return sample_unipc(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o); }},
      {"UniPC-bh2 logSNR (VP)",
       [&](std::size_t e) {
         return sample_unipc(vp, vp_score, vp.prior_sampler<V2>(), logsnr_uniform_times(vp, 1, 1e-3, e), o);
       }},
      {"Euler ancestral Karras",
       [&](std::size_t e) {
         return sample_euler_ancestral(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(e), o);
       }},
      {"EDM Heun",
       [&](std::size_t e) {
         return sample_edm_heun(mix.score(SigmaProcess{}), edm_prior, karras_sigmas((e + 1) / 2), o);
       }},
      {"DDIM eta=0",
       [&](std::size_t e) {
         ReverseSampleOptions d = o;
         d.steps = e;
         return sample_ddim(ddpm, ddpm_eps, unit_prior, d, 0.0);
       }},
      {"VP reverse SDE (EM)", [&](std::size_t e) {
         ReverseSampleOptions d = o;
         d.steps = e;
         d.epsilon = 1e-3;
         return sample_reverse_sde(vp, per_particle_vp, vp.prior_sampler<V2>(), d);
       }}};

  std::FILE* table = std::fopen("diffusion_fast_samplers_table.txt", "w");
  auto line = [&](const char* format, auto... values) {
    std::printf(format, values...);
    std::fprintf(table, format, values...);
  };
  line("%-28s %6s %10s %10s %10s\n", "sampler", "budget", "evals/smp", "sliced W2", "energy");
  line("%-28s %6s %10s %10.4f %10.4f\n", "exact vs exact (floor)", "-", "-", sliced_wasserstein(exact2, exact, 128, 3),
       energy_distance(exact2, exact));
  for (const auto& [name, run] : samplers)
    for (std::size_t e : {5, 10, 20, 50}) {
      const auto r = run(e);
      line("%-28s %6zu %10.1f %10.4f %10.4f\n", name.c_str(), e, double(r.score_evaluations) / double(n),
           sliced_wasserstein(r.samples(), exact, 128, 3), energy_distance(r.samples(), exact));
    }
  std::fclose(table);
  std::printf("\nwrote diffusion_fast_samplers_table.txt (%zu samples, seed %llu)\n", n,
              static_cast<unsigned long long>(seed));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "diffusion_fast_samplers: %s\n", e.what());
  return 1;
}
