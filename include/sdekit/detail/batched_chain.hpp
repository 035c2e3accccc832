#pragma once
// The engine under the batched diffusion samplers: each block of particles (RunOptions::block_size of them) is
// held as one n×B matrix and moved through the sampling grid t_0 > … > t_K together, so that a batched score sees
// the whole block in one call. Particle i keeps its own RandomStream(seed, i, 1) and every update is column-wise,
// so a particle's path depends neither on the block it lands in nor on the thread that runs it (given a score that
// is deterministic per column). A column whose score or state turns non-finite is removed from the block and
// reported as that particle's failure; an exception from the score fails every particle of the block.
#include <sdekit/core/noise.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/detail/ensemble_start.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/detail/statistics_run.hpp>
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/samplers.hpp>

#include <Eigen/Dense>

#include <cstddef>
#include <exception>
#include <string>
#include <type_traits>
#include <vector>

namespace sdekit::detail {

/// The live particles of one block: their states as columns, the sampler's per-column memory, their noise streams.
struct ParticleBlock {
  Eigen::MatrixXd x;                    ///< n × B states, one column per live particle
  std::vector<Eigen::MatrixXd> memory;  ///< sampler memory (e.g. earlier denoiser outputs), same columns as x
  std::vector<std::size_t> particle;    ///< the particle index of each column
  std::vector<RandomStream> noise;      ///< each column's stream RandomStream(seed, particle, 1)
  std::vector<std::string> failure;     ///< set by the score evaluation for a column that must stop
  /// Column j's standard normal vector from its own stream.
  Eigen::VectorXd normal(Eigen::Index j) {
    Eigen::VectorXd z(x.rows());
    for (Eigen::Index r = 0; r < z.size(); ++r) z[r] = noise[static_cast<std::size_t>(j)].normal();
    return z;
  }
  /// Drops the columns whose keep[j] is false from x and every memory matrix.
  void keep_columns(const std::vector<bool>& keep) {
    Eigen::Index out = 0;
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      if (!keep[static_cast<std::size_t>(j)]) continue;
      if (out != j) {
        x.col(out) = x.col(j);
        for (auto& m : memory)
          if (m.cols() == x.cols()) m.col(out) = m.col(j);
        particle[static_cast<std::size_t>(out)] = particle[static_cast<std::size_t>(j)];
        noise[static_cast<std::size_t>(out)] = noise[static_cast<std::size_t>(j)];
      }
      ++out;
    }
    for (auto& m : memory)
      if (m.cols() == x.cols()) m.conservativeResize(Eigen::NoChange, out);
    x.conservativeResize(Eigen::NoChange, out);
    particle.resize(static_cast<std::size_t>(out));
    noise.erase(noise.begin() + out, noise.end());
    failure.assign(static_cast<std::size_t>(out), std::string());
  }
};

/// Evaluates a batched score on every live column at time t, counts the evaluations, and marks a column whose
/// score is non-finite as failed (its output column is then zero, so it cannot spread NaN to its neighbours).
template <class Batched>
struct BlockScore {
  const Batched* score;
  EvaluationCounter* counter;
  const char* where;
  Eigen::MatrixXd operator()(ParticleBlock& block, double t) const {
    const Eigen::VectorXd times = Eigen::VectorXd::Constant(block.x.cols(), t);
    Eigen::MatrixXd s = (*score)(block.x, times);
    require(s.rows() == block.x.rows() && s.cols() == block.x.cols(), where, "score(X, t).rows()", s.rows(),
            "must match X, " + std::to_string(block.x.rows()) + "×" + std::to_string(block.x.cols()) +
                " (and so must its columns, " + std::to_string(s.cols()) + ")");
    counter->add(static_cast<std::uint64_t>(block.x.cols()));
    for (Eigen::Index j = 0; j < s.cols(); ++j)
      if (!s.col(j).allFinite()) {
        block.failure[static_cast<std::size_t>(j)] =
            std::string(where) + ": score s(x, t) must be finite (at t = " + to_text(t) + ")";
        s.col(j).setZero();
      }
    return s;
  }
};

template <class X>
X column_state(const Eigen::MatrixXd& x, Eigen::Index j) {
  if constexpr (std::is_same_v<X, double>) return x(0, j);
  else return X(x.col(j));
}

/// Runs step(block, k) for k = 0 … K−1 over every block of particles, from x_T (a state or a sampler), recording
/// the saves; returns the ensemble result with diffusion times.
template <class Init, class Step>
auto run_batched_chain(const Init& x_T, const std::vector<double>& times, const ReverseSampleOptions& o,
                       const Step& step, const char* where) {
  using X = typename initial_state<Init>::type;
  std::vector<std::size_t> index;
  const EnsembleOptions eo = reverse_chain_options(times, o, index, where);
  const EnsembleStart<X> start = start_ensemble(eo, x_T, where);
  const std::size_t dimension = start.dimension;
  const std::size_t K = times.size() - 1;
  auto run_range = [&](auto& recorder, std::size_t begin, std::size_t end) {
    ParticleBlock block;
    std::vector<X> states;
    for (std::size_t i = begin; i < end; ++i) {
      X x;
      std::string failure = start_state(x_T, eo.seed, i, dimension, start.reference, x);
      if (!failure.empty()) {
        recorder.fail(i, 0, x, std::move(failure));
        continue;
      }
      recorder.record(i, 0, x);
      states.push_back(x);
      block.particle.push_back(i);
      block.noise.emplace_back(eo.seed, i, 1);
    }
    block.x.resize(static_cast<Eigen::Index>(dimension), static_cast<Eigen::Index>(states.size()));
    for (std::size_t j = 0; j < states.size(); ++j) {
      if constexpr (std::is_same_v<X, double>) block.x(0, static_cast<Eigen::Index>(j)) = states[j];
      else block.x.col(static_cast<Eigen::Index>(j)) = states[j];
    }
    block.failure.assign(states.size(), std::string());
    for (std::size_t k = 0; k < K && block.x.cols() > 0; ++k) {
      const Eigen::MatrixXd before = block.x;
      try {
        step(block, k);
      } catch (const std::exception& e) {
        for (Eigen::Index j = 0; j < before.cols(); ++j)
          recorder.fail(block.particle[static_cast<std::size_t>(j)], k, column_state<X>(before, j), e.what());
        return;
      }
      std::vector<bool> keep(static_cast<std::size_t>(block.x.cols()), true);
      bool all_kept = true;
      for (Eigen::Index j = 0; j < block.x.cols(); ++j) {
        const auto c = static_cast<std::size_t>(j);
        std::string reason = block.failure[c];
        if (reason.empty() && !block.x.col(j).allFinite()) reason = "non-finite state";
        if (reason.empty()) {
          recorder.record(block.particle[c], k + 1, column_state<X>(block.x, j));
        } else {
          recorder.fail(block.particle[c], k, column_state<X>(before, j), std::move(reason));
          keep[c] = false;
          all_kept = false;
        }
      }
      if (!all_kept) block.keep_columns(keep);
    }
  };
  auto result = run_ensemble<X>(eo, start.grid, dimension, run_range, where);
  relabel_chain_times(result, times, index);
  return result;
}

}  // namespace sdekit::detail
