#pragma once
// The step loop of simulate_ensemble for one block of particles of a batched problem (core/block_step.hpp): the
// block's live states as one StateBlock (a column per particle), the noise of the whole block drawn at once, one
// call of the stepper's batched form per step, and a careful column-by-column redo that records failures.
#include <sdekit/core/block_step.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/ensemble/particles.hpp>

#include <Eigen/Core>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit::detail {

/// One block of particles of simulate_ensemble with a batched problem. A step first takes the whole block through
/// the stepper's do_step_block (the fast pass) and checks the new states with an integer finiteness test over the
/// block and the domain per column; if that sees a non-finite state, a domain exit or an exception, the step is
/// redone from the untouched states one column at a time (one-column blocks), which finds exactly the failed
/// particles (failure_reason decides and names each, as in BlockRunner). Failed particles then leave the block:
/// later steps run the live columns only. Under the column-determinism contract (core/block_step.hpp) a column's
/// bits do not depend on which other columns share its block, so the results do not depend on the block size, the
/// thread count or the failures of other particles. Buffers are sized at the first step and again only after a
/// step that lost particles; steps without failures allocate nothing.
template <class Stepper, class P, class X, class Domain, class Recorder>
struct BatchedBlockRunner {
  static constexpr bool checks_domain = !std::is_same_v<Domain, AnyState>;

  const Stepper& stepper;
  const P& problem;
  const Domain& inside;
  Recorder& recorder;  // EnsembleRecorder, LeafRecorder or QuantileRecorder
  std::size_t begin;
  std::size_t count;
  std::size_t m;                         // Wiener processes
  Eigen::Index n;                        // components per state
  StateBlock xs;                         // the live particles' states, one column each, in particle order
  StateBlock before;                     // the states at the start of the current step (to redo it)
  StateBlock dW;                         // the step's increments, m × live
  std::vector<std::size_t> particle_of;  // block position of each column
  std::vector<unsigned char> alive;
  std::size_t started = 0;
  bool lost_particles = false;        // columns of dead particles wait to be dropped
  std::vector<double> z_even, z_odd;  // N(0,1) (or the discrete law's variables) of steps 2j and 2j+1
  const double* z = nullptr;          // the current step's, component-major: z[c·count + p]
  IncrementLaw law;                   // Gaussian, or the discrete variables of DiscreteNoise
  BlockBuffers work;                  // the stepper's buffers for the whole block
  BlockBuffers column_work;           // and for the one-column redo
  StateBlock column_x, column_dW;     // one column's state and increment in the redo
  X state;                            // one column as a state (domain, recorder, failures)
  std::vector<unsigned char> kept;    // per block position: the particle's path is kept
  bool any_kept = false;

  BatchedBlockRunner(const Stepper& s, const P& pr, const Domain& d, Recorder& r, std::size_t b, std::size_t e,
                     std::size_t noise_dim, std::size_t dimension, IncrementLaw increment_law)
      : stepper(s),
        problem(pr),
        inside(d),
        recorder(r),
        begin(b),
        count(e - b),
        m(noise_dim),
        n(static_cast<Eigen::Index>(dimension)),
        xs(StateBlock::Zero(static_cast<Eigen::Index>(dimension), static_cast<Eigen::Index>(e - b))),
        particle_of(e - b),
        alive(e - b, 1),
        z_even(noise_dim * (e - b)),
        z_odd(noise_dim * (e - b)),
        law(increment_law) {
    for (std::size_t p = 0; p < count; ++p) particle_of[p] = p;
    kept.resize(count);
    for (std::size_t p = 0; p < count; ++p) any_kept |= (kept[p] = recorder.keeps_path(begin + p) ? 1 : 0) != 0;
    if constexpr (has_dynamic_size<X>()) state.resize(n);
  }

  /// Per-particle problems are not batched (simulate_ensemble refuses per_particle with a batched problem).
  std::string add_problem(std::size_t) { return {}; }

  /// Adds the next particle with initial state x.
  void start(const X& x) { xs.col(static_cast<Eigen::Index>(started++)) = x; }

  /// Adds the next particle as failed at the start, for `reason`.
  void start_failed(std::size_t p, const X& x, std::string reason) {
    recorder.fail(begin + p, 0, x, std::move(reason));
    alive[p] = 0;
    lost_particles = true;
    ++started;
  }

  /// The noise of steps 2·pair and 2·pair + 1 (if need_odd), as BlockRunner draws it: the same variables per
  /// (seed, particle, step, component).
  void draw_pair(std::uint64_t seed, std::uint64_t pair, bool need_odd, double, double) {
    if (law == IncrementLaw::gaussian)
      standard_normals_block_pair(seed, begin, count, pair, m, z_even.data(), need_odd ? z_odd.data() : nullptr);
    else
      discrete_variables_block_pair(seed, begin, count, pair, m, law, z_even.data(), need_odd ? z_odd.data() : nullptr,
                                    NoiseSpace::discrete_wiener);
    z = z_even.data();
  }

  void step(std::size_t k, double t, double h) {
    if (k % 2 == 1) z = z_odd.data();
    if (lost_particles) drop_dead();
    const Eigen::Index live = xs.cols();
    if (live == 0) return;
    const double sqrt_h = std::sqrt(h);
    fill_increments(sqrt_h);
    before = xs;  // same shape from step to step: no allocation
    bool valid = false;
    try {
      stepper.template do_step_block<P, X>(problem, xs, t, h, dW, SqrtStep{sqrt_h}, work);
      valid = block_valid();
    } catch (...) {
      valid = false;
    }
    if (!valid) careful_pass(k, t, h, sqrt_h);
  }

  void record(std::size_t k) {
    const bool save = recorder.saves_at(k);
    if (!save && !any_kept) return;
    for (Eigen::Index j = 0; j < xs.cols(); ++j) {
      const std::size_t p = particle_of[static_cast<std::size_t>(j)];
      if (!alive[p] || !(save || kept[p])) continue;
      state = xs.col(j);
      recorder.record(begin + p, k, state);
    }
  }

 private:
  // ΔW = √h·Z per column, scaled as BlockRunner scales it (so the same bits); whole rows while no particle is lost.
  void fill_increments(double sqrt_h) {
    const Eigen::Index live = xs.cols();
    fit(dW, static_cast<Eigen::Index>(m), live);
    if (static_cast<std::size_t>(live) == count) {
      for (std::size_t c = 0; c < m; ++c)
        dW.row(static_cast<Eigen::Index>(c)) =
            sqrt_h * Eigen::Map<const Eigen::RowVectorXd>(z + c * count, static_cast<Eigen::Index>(count));
    } else {
      for (std::size_t c = 0; c < m; ++c)
        for (Eigen::Index j = 0; j < live; ++j)
          dW(static_cast<Eigen::Index>(c), j) = sqrt_h * z[c * count + particle_of[static_cast<std::size_t>(j)]];
    }
  }

  // Every new state finite (the integer test of BlockRunner over the whole block) and inside the domain.
  bool block_valid() {
    const double* values = xs.data();
    const std::size_t total = static_cast<std::size_t>(xs.size());
    std::uint64_t bad = 0;
    for (std::size_t j = 0; j < total; ++j)
      bad |= (((std::bit_cast<std::uint64_t>(values[j]) >> 52) & 0x7ff) + 1) >> 11;
    if (bad) return false;
    if constexpr (checks_domain) {
      for (Eigen::Index j = 0; j < xs.cols(); ++j) {
        state = xs.col(j);
        if (!inside(state)) return false;
      }
    }
    return true;
  }

  // The step redone from `before`, one column at a time, with the failure bookkeeping.
  void careful_pass(std::size_t k, double t, double h, double sqrt_h) {
    for (Eigen::Index j = 0; j < before.cols(); ++j) {
      const std::size_t p = particle_of[static_cast<std::size_t>(j)];
      column_x = before.col(j);
      column_dW = dW.col(j);
      const char* reason = nullptr;
      std::string message;
      try {
        stepper.template do_step_block<P, X>(problem, column_x, t, h, column_dW, SqrtStep{sqrt_h}, column_work);
        state = column_x.col(0);
        reason = failure_reason(state, inside);
      } catch (const std::exception& e) {
        message = e.what();
        reason = message.c_str();
      } catch (...) {
        reason = "exception of unknown type";
      }
      if (reason) {
        state = before.col(j);
        recorder.fail(begin + p, k, state, reason);
        alive[p] = 0;
        lost_particles = true;
      } else {
        xs.col(j) = column_x.col(0);
      }
    }
    if (lost_particles) drop_dead();
  }

  // Drops the columns of dead particles, keeping the others in particle order.
  void drop_dead() {
    Eigen::Index live = 0;
    for (Eigen::Index j = 0; j < xs.cols(); ++j) {
      const std::size_t p = particle_of[static_cast<std::size_t>(j)];
      if (!alive[p]) continue;
      if (live != j) {
        xs.col(live) = xs.col(j);
        particle_of[static_cast<std::size_t>(live)] = p;
      }
      ++live;
    }
    xs.conservativeResize(n, live);
    particle_of.resize(static_cast<std::size_t>(live));
    lost_particles = false;
  }
};

}  // namespace sdekit::detail
