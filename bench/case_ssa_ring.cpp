// Bench cases ssa_ring_direct and ssa_ring_next_reaction: exact simulation of a network with 100 reactions, a ring
// X_i → X_{i+1 mod 100} at rate 1 per molecule with 100 molecules starting in X_0, so the event rate is always 100
// per unit time. Work unit: reaction events (msteps_per_s = million events per second); --steps S sets T = S / 100,
// about S events per run. sdekit: simulate_ssa with SsaMethod::direct (dependency graph, O(R) sum and search per
// event) or SsaMethod::next_reaction (Gibson–Bruck, O(log R) per event); baseline for both: the direct method as
// written by hand for this network (propensities k·x_i summed and searched linearly, x updated in place), with
// std::mt19937_64, OpenMP over runs.
#include "bench_case.hpp"

#include <sdekit/discrete/reaction_network.hpp>

#include <omp.h>

#include <array>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace sdekit_bench;

constexpr std::size_t ring_size = 100;
constexpr double molecules = 100.0;

double horizon(const BenchConfig& c) { return static_cast<double>(c.steps) / molecules; }

template <std::size_t... K>
auto ring(std::index_sequence<K...>) {
  std::array<std::string, ring_size> species;
  std::array<double, ring_size> counts{};
  for (std::size_t i = 0; i < ring_size; ++i) species[i] = std::string("X").append(std::to_string(i));
  counts[0] = molecules;
  auto equation = [](std::size_t k) {
    return std::string("X").append(std::to_string(k)).append(" -> X").append(std::to_string((k + 1) % ring_size));
  };
  return sdekit::make_reaction_network(
      species, counts,
      sdekit::reaction(std::string("hop").append(std::to_string(K)), equation(K), sdekit::mass_action(1.0))...);
}

BenchRun run_sdekit(const BenchConfig& c, sdekit::SsaMethod method) {
  static const auto network = ring(std::make_index_sequence<ring_size>{});
  sdekit::JumpOptions o;  // observed only at t1 (no observe_dt): one exact run per particle
  o.particles = c.particles;
  o.seed = c.seed;
  o.threads = c.threads;
  o.t0 = 0;
  o.t1 = horizon(c);
  const auto result = sdekit::simulate_ssa(network, o, method);
  if (!result.failures.empty()) throw std::runtime_error("bench: a run failed");
  const Eigen::MatrixXd& final_states = result.values[0];
  // Events are not counted by the network; the rate is exactly `molecules` per unit time, so the expected number
  // of events per run is molecules · T.
  return {static_cast<double>(c.particles) * molecules * o.t1,
          checksum_of(final_states.data(), static_cast<std::size_t>(final_states.size()))};
}

BenchRun run_baseline(const BenchConfig& c) {
  const double t_end = horizon(c);
  const long n = static_cast<long>(c.particles);
  std::vector<double> final_x(c.particles * ring_size);
  double events = 0;
#pragma omp parallel for schedule(static) num_threads(c.threads) reduction(+ : events)
  for (long run = 0; run < n; ++run) {
    std::mt19937_64 rng(c.seed * 1000003u + static_cast<std::uint64_t>(run));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::array<double, ring_size> x{};
    x[0] = molecules;
    double t = 0, count = 0;
    for (;;) {
      double a0 = 0;
      for (double v : x) a0 += v;  // k = 1
      t += std::exponential_distribution<double>(a0)(rng);
      if (t >= t_end) break;
      const double target = uniform(rng) * a0;
      double sum = 0;
      std::size_t j = 0;
      for (; j + 1 < ring_size; ++j) {
        sum += x[j];
        if (target < sum) break;
      }
      x[j] -= 1;
      x[(j + 1) % ring_size] += 1;
      count += 1;
    }
    for (std::size_t i = 0; i < ring_size; ++i) final_x[static_cast<std::size_t>(run) * ring_size + i] = x[i];
    events += count;
  }
  (void)events;  // the work unit is the expected event count, as on the sdekit side
  return {static_cast<double>(c.particles) * molecules * t_end, checksum_of(final_x.data(), final_x.size())};
}

const bool registered_direct = register_case(
    {"ssa_ring_direct", [](const BenchConfig& c) { return run_sdekit(c, sdekit::SsaMethod::direct); }, run_baseline});
const bool registered_next =
    register_case({"ssa_ring_next_reaction",
                   [](const BenchConfig& c) { return run_sdekit(c, sdekit::SsaMethod::next_reaction); }, run_baseline});

}  // namespace
