// Case vp_reverse_batched: what a batched score buys when each call of the score has a fixed overhead, as a neural
// network's has (dispatch, kernel launches, copies: about the same for 1 or 256 inputs). The score is the exact
// score of the 2-D, 4-component mixture of vp_reverse_gmm plus a per-call overhead of 400 dependent multiply-adds
// (~0.5 µs, about three times the mixture score itself). Both sides run DPM-Solver++ 2M (sample_dpm_solver) on the
// VP SDE over `steps` logSNR-uniform steps: sdekit = the batched score (one call per block of 256 particles and
// step), baseline = the same score per particle (one call per particle and step, through the PerParticleScore
// adaptor). The samples are bitwise the same, so the checksums agree. Work: particle-steps.
#include "bench_case.hpp"

#include <sdekit/diffusion/dpm_solver.hpp>
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/schedules.hpp>
#include <sdekit/diffusion/scores.hpp>

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

/// The fixed cost of one call: a dependent chain the compiler may not remove (the asm statement claims to read it).
void call_overhead(double t) {
  double acc = t;
  for (int i = 0; i < 400; ++i) {
    acc = acc * 0.999999 + 1e-9;
    asm volatile("" : "+x"(acc));
  }
}

/// The score as a per-particle call: the overhead once per particle.
struct PerParticle {
  Score score = make_score();
  V2 operator()(const V2& x, double t) const {
    call_overhead(t);
    return score(x, t);
  }
};

/// The same score batched: the overhead once per block.
struct Batched {
  Score score = make_score();
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    call_overhead(t[0]);
    Eigen::MatrixXd out(x.rows(), x.cols());
    for (Eigen::Index j = 0; j < x.cols(); ++j) out.col(j) = score(V2(x.col(j)), t[j]);
    return out;
  }
};

template <class S>
sdekit_bench::BenchRun run(const sdekit_bench::BenchConfig& c, const S& score) {
  const sdekit::VpSde<> vp;
  sdekit::ReverseSampleOptions o;
  o.particles = c.particles;
  o.seed = c.seed;
  o.threads = c.threads;
  const auto result = sdekit::sample_dpm_solver(vp, score, vp.prior_sampler<V2>(),
                                                sdekit::logsnr_uniform_times(vp, 1.0, 1e-3, c.steps), o);
  const Eigen::MatrixXd& v = result.samples();
  return {static_cast<double>(c.particles) * static_cast<double>(c.steps),
          sdekit_bench::checksum_of(v.data(), static_cast<std::size_t>(v.size()))};
}

sdekit_bench::BenchRun run_batched(const sdekit_bench::BenchConfig& c) { return run(c, Batched{}); }
sdekit_bench::BenchRun run_per_particle(const sdekit_bench::BenchConfig& c) { return run(c, PerParticle{}); }

const bool registered = sdekit_bench::register_case({"vp_reverse_batched", run_batched, run_per_particle});

}  // namespace
