// Bench case ssa_birth_death: exact stochastic simulation (Gillespie's direct method) of a birth–death process with
// a constant birth rate, ∅ → X at k = 10 and X → ∅ at μ·X with μ = 0.1, from X = 100 (its stationary mean), so the
// event rate stays near k + μ·X ≈ 20 per unit time. Work unit: reaction events, so msteps_per_s is million events
// per second. --steps S sets the simulated time horizon T = S / 20, so that each run fires about S events — the same
// work per run as S steps of the SDE cases. --particles is the number of independent runs.
// sdekit: a two-reaction network simulated by simulate_ssa (events counted by a second species E that every reaction
// produces); baseline: a straightforward direct-method loop per run with std::mt19937_64, OpenMP over runs.
#include "bench_case.hpp"

#include <sdekit/discrete/reaction_network.hpp>

#include <omp.h>

#include <random>
#include <vector>

namespace {

using namespace sdekit_bench;

constexpr double birth_rate = 10.0;
constexpr double death_rate = 0.1;
constexpr double x0 = 100.0;
constexpr double events_per_time = 20.0;  // k + μ·(k/μ) at the stationary mean

double horizon(const BenchConfig& c) { return static_cast<double>(c.steps) / events_per_time; }

BenchRun run_sdekit(const BenchConfig& c) {
  const auto network = sdekit::make_reaction_network(
      {"X", "E"}, {x0, 0.0}, sdekit::reaction("birth", "-> X + E", sdekit::mass_action(birth_rate)),
      sdekit::reaction("death", "X -> E", sdekit::mass_action(death_rate)));
  sdekit::JumpOptions o;  // observed only at t1 (no observe_dt): one exact run per particle
  o.particles = c.particles;
  o.seed = c.seed;
  o.threads = c.threads;
  o.t0 = 0;
  o.t1 = horizon(c);
  const auto result = sdekit::simulate_ssa(network, o);
  const Eigen::MatrixXd& final_states = result.values[0];
  double events = 0;
  for (Eigen::Index i = 0; i < final_states.cols(); ++i) events += final_states(1, i);
  return {events, checksum_of(final_states.data(), static_cast<std::size_t>(final_states.size()))};
}

BenchRun run_baseline(const BenchConfig& c) {
  const double t_end = horizon(c);
  const long n = static_cast<long>(c.particles);
  std::vector<double> final_x(c.particles);
  double events = 0;
#pragma omp parallel for schedule(static) num_threads(c.threads) reduction(+ : events)
  for (long run = 0; run < n; ++run) {
    std::mt19937_64 rng(c.seed * 1000003u + static_cast<std::uint64_t>(run));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    double x = x0, t = 0, count = 0;
    for (;;) {
      const double a_birth = birth_rate, a_death = death_rate * x, a0 = a_birth + a_death;
      t += std::exponential_distribution<double>(a0)(rng);
      if (t >= t_end) break;
      if (uniform(rng) * a0 < a_birth) x += 1;
      else x -= 1;
      count += 1;
    }
    final_x[static_cast<std::size_t>(run)] = x;
    events += count;
  }
  return {events, checksum_of(final_x.data(), final_x.size())};
}

const bool registered = register_case({"ssa_birth_death", run_sdekit, run_baseline});

}  // namespace
