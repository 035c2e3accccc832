#pragma once
// Discrete-state Markov chains. A discrete-time chain from a transition matrix P (p_ij = P(x_{t+1} = j | x_t = i))
// and a continuous-time chain from a generator Q (q_ij ≥ 0 the jump rate i → j, rows summing to 0), both simulated
// exactly on the ensemble engine with states stored as doubles 0, 1, …, n−1; plus the linear algebra that checks
// them: n-step distributions, stationary distributions, hitting probabilities and times, absorption.
#include <sdekit/discrete/discrete_time.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sdekit {

namespace detail {
/// The state index of x, or a std::invalid_argument naming `where` when x is not one of 0 … n−1.
inline std::size_t state_index(double x, std::size_t n, const char* where) {
  require(x >= 0 && x < static_cast<double>(n) && std::floor(x) == x, where, "state", x,
          "must be one of the chain's states 0 … " + std::to_string(n - 1));
  return static_cast<std::size_t>(x);
}
/// Cumulative rows for inverse-CDF sampling. Entries from a row's last positive probability on are set above 1,
/// so that a uniform in (0, 1) never falls past the row through rounding and zero-probability states are never drawn.
std::vector<double> cumulative_rows(const Eigen::MatrixXd& p);
}  // namespace detail

/// A discrete-time Markov chain on states 0 … n−1 with transition matrix P.
class MarkovChain {
 public:
  /// Throws std::invalid_argument for a non-square or empty P, a negative or non-finite entry, or a row that does
  /// not sum to 1 within 1e-12; the message names the row.
  explicit MarkovChain(Eigen::MatrixXd p);

  const Eigen::MatrixXd& transition_matrix() const { return p_; }             ///< P
  std::size_t states() const { return static_cast<std::size_t>(p_.rows()); }  ///< number of states n

  /// One step from state x (a double holding the index), drawn by inverse CDF from the particle's stream.
  void step(double& x, std::int64_t /*t*/, RandomStream& rng) const {
    const std::size_t n = states();
    const std::size_t i = detail::state_index(x, n, "sdekit::MarkovChain::step");
    const double* row = cumulative_.data() + i * n;
    const double u = rng.uniform();
    x = static_cast<double>(std::upper_bound(row, row + n, u) - row);
  }

  /// P^n by repeated squaring.
  Eigen::MatrixXd power(std::uint64_t n) const;
  /// The distribution after n steps, p0ᵀ Pⁿ, for the initial distribution p0 (validated like a row of P).
  Eigen::VectorXd distribution_after(const Eigen::VectorXd& p0, std::uint64_t n) const;
  /// The stationary distribution π = π P, Σπ = 1; throws when it is not unique (the chain has more than one
  /// closed class).
  Eigen::VectorXd stationary_distribution() const;
  /// For each state, the probability of ever reaching one of `targets` (1 on the targets themselves).
  Eigen::VectorXd hitting_probabilities(const std::vector<std::size_t>& targets) const;
  /// For each state, the expected number of steps to reach one of `targets` (0 on the targets, +∞ from states
  /// that miss them with positive probability).
  Eigen::VectorXd expected_hitting_times(const std::vector<std::size_t>& targets) const;
  /// The absorbing states (p_ii = 1), in increasing order.
  std::vector<std::size_t> absorbing_states() const;
  /// The transient states (those that are not absorbing), in increasing order.
  std::vector<std::size_t> transient_states() const;
  /// The fundamental matrix N = (I − Q)⁻¹ over the transient states (Q = P restricted to them): N_ij is the expected
  /// number of visits to transient state j from transient state i. Throws unless every transient state is
  /// absorbed with probability 1.
  Eigen::MatrixXd fundamental_matrix() const;
  /// The expected number of steps to absorption from every state (N·1 on transient states, 0 on absorbing ones).
  Eigen::VectorXd expected_absorption_times() const;
  /// B = N R: row i gives, for each absorbing state (columns in absorbing_states() order), the probability that
  /// the chain started in state i is absorbed there.
  Eigen::MatrixXd absorption_probabilities() const;

 private:
  Eigen::MatrixXd p_;
  std::vector<double> cumulative_;
};

/// A continuous-time Markov chain on states 0 … n−1 with generator Q (q_ij ≥ 0 for i ≠ j, rows summing to 0).
class ContinuousMarkovChain {
 public:
  /// Throws std::invalid_argument for a non-square or empty Q, a negative or non-finite off-diagonal entry, or a
  /// row that does not sum to 0 within 1e-12 of its largest entry; the message names the row.
  explicit ContinuousMarkovChain(Eigen::MatrixXd q);

  const Eigen::MatrixXd& generator() const { return q_; }                     ///< Q
  std::size_t states() const { return static_cast<std::size_t>(q_.rows()); }  ///< number of states n
  double exit_rate(std::size_t i) const {
    return -q_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i));
  }  ///< −q_ii

  /// Moves state x exactly from t_from to t_to: exponential holding times of rate −q_ii, jumps to j with
  /// probability q_ij / −q_ii. By memorylessness, restarting the clock at t_from is exact.
  void advance(double& x, double t_from, double t_to, RandomStream& rng) const {
    const std::size_t n = states();
    std::size_t i = detail::state_index(x, n, "sdekit::ContinuousMarkovChain::advance");
    double t = t_from;
    for (;;) {
      const double rate = exit_rate(i);
      if (rate <= 0) break;  // absorbing
      t += rng.exponential() / rate;
      if (t >= t_to) break;
      const double* row = jump_cumulative_.data() + i * n;
      i = static_cast<std::size_t>(std::upper_bound(row, row + n, rng.uniform()) - row);
    }
    x = static_cast<double>(i);
  }

  /// The distribution at time t, p0ᵀ exp(Q t) (scaling and squaring of a Taylor series).
  Eigen::VectorXd distribution_at(const Eigen::VectorXd& p0, double t) const;
  /// exp(Q t), the transition matrix over a time span t ≥ 0.
  Eigen::MatrixXd transition_matrix(double t) const;
  /// The stationary distribution π Q = 0, Σπ = 1; throws when it is not unique.
  Eigen::VectorXd stationary_distribution() const;
  /// The embedded jump chain: P_ij = q_ij / −q_ii for i ≠ j (absorbing states stay put).
  MarkovChain jump_chain() const;

 private:
  Eigen::MatrixXd q_;
  std::vector<double> jump_cumulative_;
};

/// Draws state indices from a distribution p0 by inverse CDF: an initial-state sampler x0(i, rng) for ensembles.
class CategoricalSampler {
 public:
  /// Throws std::invalid_argument unless p0 is non-empty with finite, non-negative entries summing to 1 within 1e-12.
  explicit CategoricalSampler(const Eigen::VectorXd& p0);
  /// A draw from p0 (a state index as a double), using one uniform of the stream.
  double operator()(std::size_t /*particle*/, RandomStream& rng) const {
    return static_cast<double>(std::upper_bound(cumulative_.begin(), cumulative_.end(), rng.uniform()) -
                               cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};

/// A sampler x0(i, rng) of the initial distribution p0; see CategoricalSampler.
inline CategoricalSampler categorical_sampler(const Eigen::VectorXd& p0) { return CategoricalSampler(p0); }

/// Runs options.particles paths of a discrete-time chain (dt = 1 on whole-number times) from x0, a state index or
/// a sampler such as categorical_sampler(p0); the result's values are the state indices.
template <class Init>
auto simulate_markov_chain(const MarkovChain& chain, const Init& x0, const EnsembleOptions& options) {
  return simulate_discrete_process(chain, x0, options);
}

/// Runs options.particles paths of a continuous-time chain from x0 (a state index or a sampler) over the grid of
/// options (dt only sets where states are observed: the simulation itself is exact).
template <class Init>
auto simulate_markov_chain(const ContinuousMarkovChain& chain, const Init& x0, const EnsembleOptions& options) {
  return simulate_process_ensemble(
      x0, [&chain](double& x, double t_from, double t_to, RandomStream& rng) { chain.advance(x, t_from, t_to, rng); },
      options);
}

/// The fraction of particles alive at save time `save` in each of the `states` states (a histogram of indices).
/// Needs the stored states; a statistics-only run requests HistogramRequest{0, states, 0.0, double(states)} instead.
template <class X>
Eigen::VectorXd state_frequencies(const EnsembleResult<X>& result, std::size_t save, std::size_t states) {
  Eigen::VectorXd f = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(states));
  std::size_t alive = 0;
  for (double x : result.component_values(save, 0)) {
    if (std::isnan(x)) continue;
    ++alive;
    if (x >= 0 && x < static_cast<double>(states)) f[static_cast<Eigen::Index>(x)] += 1;
  }
  return alive > 0 ? Eigen::VectorXd(f / static_cast<double>(alive)) : f;
}

/// The first step at which each of options.particles paths from x0 (state or sampler) is in one of `targets`,
/// simulated up to max_steps steps (+∞ for paths that have not arrived by then; 0 for those that start there).
/// Only particles, seed, block_size, threads, schedule and distribution of `options` are used (with a distribution,
/// every process gets every particle's time).
std::vector<double> simulate_hitting_times(const MarkovChain& chain, double x0, const std::vector<std::size_t>& targets,
                                           std::uint64_t max_steps, const EnsembleOptions& options);

}  // namespace sdekit
