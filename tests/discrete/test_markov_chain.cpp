// Markov chains: empirical n-step distributions against matrix powers (5 σ per entry), stationary distributions of
// chains with known ones, hitting and absorption times against the gambler's ruin formulas, continuous-time chains
// against the closed-form two-state law, reproducibility, and every input error (naming the row).
#include <sdekit/discrete/markov_chain.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

using sdekit_test::contains;
using sdekit_test::message_of;

namespace {

// Each frequency within 5 binomial standard errors sqrt(p(1−p)/n) of the exact probability.
void check_frequencies(const Eigen::VectorXd& freq, const Eigen::VectorXd& exact, std::size_t n) {
  REQUIRE(freq.size() == exact.size());
  for (Eigen::Index j = 0; j < exact.size(); ++j) {
    const double se = std::sqrt(exact[j] * (1 - exact[j]) / static_cast<double>(n));
    CHECK(std::abs(freq[j] - exact[j]) <= 5 * se + 1e-15);
  }
}

Eigen::MatrixXd three_state() {
  Eigen::MatrixXd p(3, 3);
  p << 0.5, 0.3, 0.2,  //
      0.1, 0.6, 0.3,   //
      0.4, 0.1, 0.5;
  return p;
}

sdekit::EnsembleOptions chain_options(double t1, std::vector<double> saves, std::uint64_t seed) {
  sdekit::EnsembleOptions o;
  o.particles = 20000;
  o.seed = seed;
  o.t0 = 0;
  o.t1 = t1;
  o.dt = 1;
  o.save_times = std::move(saves);
  return o;
}

}  // namespace

TEST_CASE("discrete-time chain: empirical n-step distributions match the matrix power") {
  const sdekit::MarkovChain chain(three_state());
  const Eigen::MatrixXd p = three_state();
  CHECK((chain.power(3) - p * p * p).cwiseAbs().maxCoeff() < 1e-15);
  const auto result = sdekit::simulate_markov_chain(chain, 0.0, chain_options(7, {1, 3, 7}, 1));
  const Eigen::VectorXd start = Eigen::Vector3d(1, 0, 0);
  for (std::size_t s = 0; s < 3; ++s) {
    const auto n = static_cast<std::uint64_t>(result.save_times[s]);
    check_frequencies(sdekit::state_frequencies(result, s, 3), chain.distribution_after(start, n), 20000);
  }
  // From a random initial distribution.
  const Eigen::VectorXd p0 = Eigen::Vector3d(0.2, 0.0, 0.8);
  const auto from_p0 =
      sdekit::simulate_markov_chain(chain, sdekit::categorical_sampler(p0), chain_options(2, {0, 2}, 2));
  check_frequencies(sdekit::state_frequencies(from_p0, 0, 3), p0, 20000);
  CHECK(sdekit::state_frequencies(from_p0, 0, 3)[1] == 0.0);  // a zero-probability state is never drawn
  check_frequencies(sdekit::state_frequencies(from_p0, 1, 3), chain.distribution_after(p0, 2), 20000);
}

TEST_CASE("stationary distributions of chains with known ones") {
  const double a = 0.3, b = 0.1;
  Eigen::MatrixXd two(2, 2);
  two << 1 - a, a, b, 1 - b;
  const Eigen::VectorXd pi = sdekit::MarkovChain(two).stationary_distribution();
  CHECK(pi[0] == doctest::Approx(b / (a + b)).epsilon(1e-12));
  CHECK(pi[1] == doctest::Approx(a / (a + b)).epsilon(1e-12));
  // A doubly stochastic matrix has the uniform stationary law.
  Eigen::MatrixXd doubly(3, 3);
  doubly << 0.2, 0.5, 0.3, 0.5, 0.1, 0.4, 0.3, 0.4, 0.3;
  const Eigen::VectorXd u = sdekit::MarkovChain(doubly).stationary_distribution();
  for (int i = 0; i < 3; ++i) CHECK(u[i] == doctest::Approx(1.0 / 3).epsilon(1e-12));
  // The three-state chain: π P = π, and 40 steps of simulation are there (|λ₂|^40 < 1e-12).
  const sdekit::MarkovChain chain(three_state());
  const Eigen::VectorXd ps = chain.stationary_distribution();
  CHECK((ps.transpose() * three_state() - ps.transpose()).cwiseAbs().maxCoeff() < 1e-14);
  const auto result = sdekit::simulate_markov_chain(chain, 2.0, chain_options(40, {40}, 3));
  check_frequencies(sdekit::state_frequencies(result, 0, 3), ps, 20000);
}

TEST_CASE("gambler's ruin: absorption times and probabilities, simulated hitting times") {
  // States 0 … 4, fair steps, 0 and 4 absorbing: E[T | i] = i (4 − i), P(absorbed at 4 | i) = i / 4.
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(5, 5);
  p(0, 0) = p(4, 4) = 1;
  for (int i = 1; i < 4; ++i) p(i, i - 1) = p(i, i + 1) = 0.5;
  const sdekit::MarkovChain ruin(p);
  CHECK(ruin.absorbing_states() == std::vector<std::size_t>{0, 4});
  const Eigen::VectorXd t = ruin.expected_absorption_times();
  const Eigen::MatrixXd b = ruin.absorption_probabilities();
  for (int i = 0; i < 5; ++i) {
    CHECK(t[i] == doctest::Approx(i * (4 - i)).epsilon(1e-12));
    CHECK(b(i, 1) == doctest::Approx(i / 4.0).epsilon(1e-12));
    CHECK(b(i, 0) + b(i, 1) == doctest::Approx(1.0));
  }
  // N for the walk on {1, 2, 3}: N = (I − Q)⁻¹ = [[1.5, 1, .5], [1, 2, 1], [.5, 1, 1.5]].
  Eigen::Matrix3d n_exact;
  n_exact << 1.5, 1, 0.5, 1, 2, 1, 0.5, 1, 1.5;
  CHECK((ruin.fundamental_matrix() - n_exact).cwiseAbs().maxCoeff() < 1e-12);
  // Reaching 4 alone is not sure from 1 … 3 (ruin at 0 is possible): infinite expectation there.
  const Eigen::VectorXd k4 = ruin.expected_hitting_times({4});
  CHECK(k4[4] == 0.0);
  for (int i = 0; i < 4; ++i) CHECK(std::isinf(k4[i]));
  CHECK(ruin.hitting_probabilities({4})[1] == doctest::Approx(0.25));
  // Simulated absorption times from state 2 (exact mean 4, variance 8 for the walk on {0..4} from the middle).
  sdekit::EnsembleOptions o;
  o.particles = 20000;
  o.seed = 4;
  const std::vector<double> times = sdekit::simulate_hitting_times(ruin, 2.0, {0, 4}, 1000, o);
  REQUIRE(times.size() == 20000);
  const double mean = std::accumulate(times.begin(), times.end(), 0.0) / 20000;
  CHECK(std::abs(mean - 4.0) <= 5 * std::sqrt(8.0 / 20000));
  // Reflecting at 0, fair steps, 0 … 3: reaching 3 from 0 takes 3² = 9 steps on average.
  Eigen::MatrixXd r = Eigen::MatrixXd::Zero(4, 4);
  r(0, 1) = 1;
  r(1, 0) = r(1, 2) = r(2, 1) = r(2, 3) = 0.5;
  r(3, 3) = 1;
  CHECK(sdekit::MarkovChain(r).expected_hitting_times({3})[0] == doctest::Approx(9.0).epsilon(1e-12));
  // Paths that do not arrive within max_steps report +∞.
  const std::vector<double> cut = sdekit::simulate_hitting_times(sdekit::MarkovChain(r), 0.0, {3}, 2, o);
  CHECK(std::isinf(cut[0]));
}

TEST_CASE("continuous-time chain: exact two-state law, stationary distribution, simulation") {
  const double a = 1.0, b = 2.0;
  Eigen::MatrixXd q(2, 2);
  q << -a, a, b, -b;
  const sdekit::ContinuousMarkovChain chain(q);
  for (double t : {0.0, 0.3, 1.0, 3.0, 50.0}) {
    const double p00 = b / (a + b) + a / (a + b) * std::exp(-(a + b) * t);
    CHECK(chain.transition_matrix(t)(0, 0) == doctest::Approx(p00).epsilon(1e-12));
  }
  const Eigen::VectorXd pi = chain.stationary_distribution();
  CHECK(pi[0] == doctest::Approx(2.0 / 3).epsilon(1e-12));
  sdekit::EnsembleOptions o;
  o.particles = 20000;
  o.seed = 5;
  o.t1 = 3;
  o.dt = 0.5;  // where the state is observed; the simulation is exact between
  o.save_times = {0.3, 1.0, 3.0};
  const auto result = sdekit::simulate_markov_chain(chain, 0.0, o);
  const Eigen::VectorXd start = Eigen::Vector2d(1, 0);
  for (std::size_t s = 0; s < 3; ++s)
    check_frequencies(sdekit::state_frequencies(result, s, 2), chain.distribution_at(start, o.save_times[s]), 20000);
  // A three-state chain with an absorbing state, against exp(Qt).
  Eigen::MatrixXd q3(3, 3);
  q3 << -3, 2, 1, 0.5, -1.5, 1, 0, 0, 0;
  const sdekit::ContinuousMarkovChain c3(q3);
  o.save_times = {1.0};
  o.t1 = 1.0;
  o.dt = 1.0;
  const auto r3 = sdekit::simulate_markov_chain(c3, 0.0, o);
  check_frequencies(sdekit::state_frequencies(r3, 0, 3), c3.distribution_at(Eigen::Vector3d(1, 0, 0), 1.0), 20000);
  // The jump chain of q3 leaves state 0 for 1 with probability 2/3.
  CHECK(c3.jump_chain().transition_matrix()(0, 1) == doctest::Approx(2.0 / 3));
}

TEST_CASE("chain ensembles are bitwise reproducible for 1 and 2 threads") {
  const sdekit::MarkovChain chain(three_state());
  auto o = chain_options(20, {5, 20}, 6);
  o.particles = 2000;
  o.block_size = 100;
  o.threads = 1;
  const auto r1 = sdekit::simulate_markov_chain(chain, 0.0, o);
  o.threads = 2;
  const auto r2 = sdekit::simulate_markov_chain(chain, 0.0, o);
  CHECK((r1.values[1].array() == r2.values[1].array()).all());
}

TEST_CASE("chain input errors name the argument and the row") {
  CHECK(contains(message_of([] { sdekit::MarkovChain(Eigen::MatrixXd::Constant(2, 3, 1.0 / 3)); }), "P.cols() = 3"));
  Eigen::MatrixXd negative(2, 2);
  negative << 1.1, -0.1, 0.5, 0.5;
  CHECK(contains(message_of([&] { sdekit::MarkovChain{negative}; }), "entry 1 of row 0 of P = -0.1"));
  Eigen::MatrixXd bad_sum(3, 3);
  bad_sum << 0.5, 0.5, 0, 0.2, 0.2, 0.5, 0, 0, 1;
  CHECK(contains(message_of([&] { sdekit::MarkovChain{bad_sum}; }), "sum of row 1 of P = 0.9"));
  Eigen::MatrixXd tiny_off(2, 2);
  tiny_off << 0.5, 0.5 + 1e-11, 0.5, 0.5;
  CHECK(contains(message_of([&] { sdekit::MarkovChain{tiny_off}; }), "sum of row 0 of P"));
  CHECK_THROWS_AS(sdekit::MarkovChain(Eigen::MatrixXd(0, 0)), std::invalid_argument);

  Eigen::MatrixXd reducible = Eigen::MatrixXd::Identity(2, 2);
  CHECK(contains(message_of([&] { sdekit::MarkovChain(reducible).stationary_distribution(); }), "not unique"));
  CHECK(contains(message_of([] { sdekit::MarkovChain(three_state()).fundamental_matrix(); }),
                 "number of absorbing states = 0"));
  const sdekit::MarkovChain chain(three_state());
  CHECK(contains(message_of([&] { chain.hitting_probabilities({7}); }), "targets[0] = 7"));
  CHECK(contains(message_of([&] { chain.distribution_after(Eigen::Vector3d(0.5, 0.6, 0), 2); }), "sum of p0 = 1.1"));
  CHECK(contains(message_of([] { sdekit::categorical_sampler(Eigen::Vector2d(0.5, 0.4)); }), "sum of p0 = 0.9"));
  CHECK(contains(message_of([] { sdekit::categorical_sampler(Eigen::Vector2d(1.5, -0.5)); }), "entry 1 of p0 = -0.5"));
  CHECK(contains(message_of([&] {
                   double x = 3;
                   sdekit::RandomStream rng(1, 0, 1);
                   chain.step(x, 0, rng);
                 }),
                 "state = 3"));
  sdekit::EnsembleOptions o;
  o.particles = 4;
  CHECK(contains(message_of([&] { sdekit::simulate_hitting_times(chain, 5.0, {0}, 10, o); }), "state = 5"));
  // Inside an ensemble an invalid state is a failed particle with the reason, not a crash.
  const auto failed = sdekit::simulate_markov_chain(chain, 9.0, chain_options(2, {2}, 1));
  CHECK(failed.failures.size() == 20000);
  CHECK(contains(failed.failures[0].reason, "state = 9"));

  Eigen::MatrixXd q(3, 3);
  q << -1, 1, 0, -0.5, 0.5, 0, 0, 0, 0;
  CHECK(contains(message_of([&] { sdekit::ContinuousMarkovChain{q}; }), "entry 0 of row 1 of Q = -0.5"));
  q << -1, 1, 0, 0.5, -0.5, 0, 1, 0, 0;
  CHECK(contains(message_of([&] { sdekit::ContinuousMarkovChain{q}; }), "sum of row 2 of Q = 1"));
  CHECK(contains(message_of([] { sdekit::ContinuousMarkovChain(Eigen::MatrixXd::Zero(2, 1)); }), "Q.cols() = 1"));
  Eigen::MatrixXd q2(2, 2);
  q2 << -1, 1, 1, -1;
  CHECK(contains(message_of([&] { sdekit::ContinuousMarkovChain(q2).transition_matrix(-1); }), "t = -1"));
}
