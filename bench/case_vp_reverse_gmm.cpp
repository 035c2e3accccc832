// Case vp_reverse_gmm: reverse-time VP SDE sampling of a 2-D Gaussian mixture with its exact score,
// Euler–Maruyama from t = T to ε = 1e-3. sdekit: simulate_ensemble on reverse_sde(vp, score) (block-generated
// counter-based noise, any thread count gives the same bits). Baseline: a hand-written loop, OpenMP over
// particles, std::mt19937_64 seeded per particle + std::normal_distribution, the same score. Work: particle-steps.
#include "bench_case.hpp"

#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <cmath>
#include <random>
#include <vector>

namespace {

using V2 = Eigen::Vector2d;
using M2 = Eigen::Matrix2d;
using Score = sdekit::GaussianMixtureScore<sdekit::VpSde<>, 2>;

Score make_score() {
  std::vector<V2> means{V2(3, 0), V2(-1.5, 2.6), V2(-1.5, -2.6), V2(0, 0)};
  std::vector<M2> covs(4, 0.2 * M2::Identity());
  return Score(sdekit::VpSde<>(), {0.3, 0.3, 0.2, 0.2}, means, covs);
}

constexpr double epsilon = 1e-3;

sdekit_bench::BenchRun run_sdekit(const sdekit_bench::BenchConfig& c) {
  const sdekit::VpSde<> vp;
  const Score score = make_score();
  sdekit::EnsembleOptions o;
  o.particles = c.particles;
  o.seed = c.seed;
  o.threads = c.threads;
  o.t0 = 0.0;
  o.t1 = vp.end_time() - epsilon;
  o.dt = o.t1 / static_cast<double>(c.steps);
  const auto result =
      sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sdekit::reverse_sde(vp, score), vp.prior_sampler<V2>(), o);
  const Eigen::MatrixXd& v = result.values.back();
  return {static_cast<double>(c.particles) * static_cast<double>(c.steps),
          sdekit_bench::checksum_of(v.data(), static_cast<std::size_t>(v.size()))};
}

sdekit_bench::BenchRun run_baseline(const sdekit_bench::BenchConfig& c) {
  const sdekit::VpSde<> vp;
  const Score score = make_score();
  const double T = vp.end_time(), h = (T - epsilon) / static_cast<double>(c.steps);
  std::vector<double> out(2 * c.particles);
  const long n = static_cast<long>(c.particles);
#pragma omp parallel for schedule(static) num_threads(c.threads)
  for (long i = 0; i < n; ++i) {
    std::mt19937_64 rng(c.seed * 1000003u + static_cast<std::uint64_t>(i));
    std::normal_distribution<double> normal;
    V2 x(normal(rng), normal(rng));
    for (std::size_t k = 0; k < c.steps; ++k) {
      const double t = T - static_cast<double>(k) * h;
      const double beta = vp.beta(t);
      const V2 s = score(x, t);
      x += (beta * s + 0.5 * beta * x) * h + std::sqrt(beta * h) * V2(normal(rng), normal(rng));
    }
    out[2 * i] = x[0];
    out[2 * i + 1] = x[1];
  }
  return {static_cast<double>(c.particles) * static_cast<double>(c.steps),
          sdekit_bench::checksum_of(out.data(), out.size())};
}

const bool registered = sdekit_bench::register_case({"vp_reverse_gmm", run_sdekit, run_baseline});

}  // namespace
