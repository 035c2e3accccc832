#pragma once
// The step loop of simulate_ensemble for one block of particles: the noise of the whole block drawn at once, a
// branch-free fast pass while every particle is alive, and a careful per-particle pass that records failures.
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/detail/ensemble_recorder.hpp>
#include <sdekit/detail/particle_state.hpp>
#include <sdekit/ensemble/particles.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit::detail {

// Fixed-size Eigen vectors are plain arrays of doubles (the sweep's finiteness pass reads them as such).
static_assert(sizeof(Eigen::Vector3d) == 3 * sizeof(double) && sizeof(Eigen::Vector2d) == 2 * sizeof(double));
template <class T>
constexpr bool fixed_size_of() {
  if constexpr (std::is_arithmetic_v<T>) return true;
  else return T::RowsAtCompileTime != Eigen::Dynamic;
}
/// True for increments that live on the stack (double, fixed-size vectors).
template <class T>
inline constexpr bool fixed_size_v = fixed_size_of<T>();

/// One block of particles of simulate_ensemble: their states, the noise of two steps, and the step loop.
/// A block whose particles are all alive takes a branch-free pass (the user's functors inlined, the particle loop
/// free to vectorise, the failure check a separate integer pass over the new states); if that pass sees a
/// non-finite state, a domain exit or an exception, the step is redone particle by particle from the untouched
/// states, which finds exactly the failed particles (failure_reason decides and names each). Both passes run the
/// same arithmetic per particle, so they give the same bits.
template <class Stepper, class Problem, class P, class X, class Domain, class Recorder>
struct BlockRunner {
  using Inc = increment_t<Stepper, P, X>;
  using W = wiener_increment_t<P, X>;
  static constexpr bool checks_domain = !std::is_same_v<Domain, AnyState>;
  static constexpr bool fixed_increment = fixed_size_v<W>;
  static constexpr bool wiener_only = is_wiener_increment_v<Inc>;

  const Stepper& stepper;
  const Problem& problem;
  const Domain& inside;
  Recorder& recorder;  // EnsembleRecorder, LeafRecorder or QuantileRecorder
  std::size_t begin;
  std::size_t count;
  std::size_t m;
  std::vector<X> xs, ys;                   // states before and after the current step
  std::vector<std::optional<P>> problems;  // per-particle problems of a sweep (none where the factory threw)
  std::vector<unsigned char> alive;
  std::size_t dead = 0;
  std::vector<double> z_even, z_odd;          // N(0,1) of steps 2j and 2j+1, component-major
  const double* z = nullptr;                  // the current step's
  std::size_t extra;                          // normals per particle-step beyond ΔW's (time integrals, Lévy areas)
  std::vector<double> extra_even, extra_odd;  // those normals, from the step-integral counter space
  const double* z_extra = nullptr;            // the current step's
  IncrementLaw law;                           // Gaussian, or the discrete variables of DiscreteNoise
  LevyAreaAlgorithm area;                     // the Lévy-area algorithm (Gaussian law)
  Inc dW;                                     // used where Inc is dynamic (no allocation per step)
  std::vector<std::size_t> kept;              // block positions whose paths are kept

  BlockRunner(const Stepper& s, const Problem& pr, const Domain& d, Recorder& r, std::size_t b, std::size_t e,
              std::size_t noise_dim, IncrementLaw increment_law = IncrementLaw::gaussian,
              LevyAreaAlgorithm levy_area = default_levy_area)
      : stepper(s),
        problem(pr),
        inside(d),
        recorder(r),
        begin(b),
        count(e - b),
        m(noise_dim),
        alive(e - b, 1),
        z_even(noise_dim * (e - b)),
        z_odd(noise_dim * (e - b)),
        extra(0),
        law(increment_law),
        area(increment_law == IncrementLaw::gaussian ? levy_area : LevyAreaAlgorithm::davie),
        dW(make_zero_increment<Inc>(noise_dim)) {
    xs.reserve(count);
    if constexpr (is_per_particle_v<Problem>) problems.reserve(count);
    for (std::size_t p = 0; p < count; ++p)
      if (recorder.keeps_path(begin + p)) kept.push_back(p);
  }

  const P& problem_of(std::size_t p) const {
    if constexpr (is_per_particle_v<Problem>) return *problems[p];
    else {
      (void)p;
      return problem;
    }
  }

  /// Makes particle p's problem (per_particle runs); returns why it could not be made, or an empty string.
  std::string add_problem(std::size_t p) {
    if constexpr (is_per_particle_v<Problem>) {
      try {
        problems.emplace_back(problem.make(begin + p));
      } catch (...) {
        problems.emplace_back();
        return current_exception_reason("the per_particle problem factory");
      }
    } else {
      (void)p;
    }
    return {};
  }

  /// Adds the next particle (after add_problem) with initial state x.
  void start(X x) { xs.push_back(std::move(x)); }

  /// Adds the next particle (after add_problem) as failed at the start, for `reason`.
  void start_failed(std::size_t p, const X& x, std::string reason) {
    recorder.fail(begin + p, 0, x, std::move(reason));
    alive[p] = 0;
    ++dead;
    xs.push_back(xs.empty() ? x : xs.front());
  }

  // The noise of steps 2·pair (length h_even) and 2·pair + 1 (length h_odd, if need_odd). The number of extra
  // variables may depend on the step (truncated Lévy areas); drawing the larger count for both leaves every variable
  // the same pure function of (seed, particle, step, component). The buffers grow only when a step needs more.
  void draw_pair(std::uint64_t seed, std::uint64_t pair, bool need_odd, double h_even, double h_odd) {
    if (law == IncrementLaw::gaussian)
      standard_normals_block_pair(seed, begin, count, pair, m, z_even.data(), need_odd ? z_odd.data() : nullptr);
    else
      discrete_variables_block_pair(seed, begin, count, pair, m, law, z_even.data(), need_odd ? z_odd.data() : nullptr,
                                    NoiseSpace::discrete_wiener);
    z = z_even.data();
    extra = extra_normal_count<Inc>(m, h_even, area);
    if (need_odd) extra = std::max(extra, extra_normal_count<Inc>(m, h_odd, area));
    if (extra > 0) {
      if (extra_even.size() < extra * count) {
        extra_even.resize(extra * count);
        extra_odd.resize(extra * count);
      }
      if (law == IncrementLaw::gaussian)
        standard_normals_block_pair(seed, begin, count, pair, extra, extra_even.data(),
                                    need_odd ? extra_odd.data() : nullptr, NoiseSpace::step_integrals);
      else
        discrete_variables_block_pair(seed, begin, count, pair, extra, IncrementLaw::two_point, extra_even.data(),
                                      need_odd ? extra_odd.data() : nullptr, NoiseSpace::discrete_step_integrals);
      z_extra = extra_even.data();
    }
  }

  // The increment of particle p: ΔW = sqrt(h)·Z, scaled in the same order whichever pass runs, then the step
  // integrals from the extra normals (the same values GaussianNoise(seed, particle) gives).
  template <class Target>
  void increment_of(std::size_t p, double h, double sqrt_h, Target& target) const {
    if constexpr (std::is_arithmetic_v<Target>) {
      target = sqrt_h * z[p];
    } else if constexpr (is_eigen_v<Target>) {
      for (std::size_t c = 0; c < m; ++c) target[static_cast<Eigen::Index>(c)] = sqrt_h * z[c * count + p];
    } else {
      increment_of(p, h, sqrt_h, target.dW);
      complete_increment(
          target, h, [&](std::size_t c) { return z_extra[c * count + p]; }, area);
    }
  }

  // One do_step, handing over the step's √h where the stepper takes it (computed once per step, not per particle).
  template <class Y, class I>
  static void advance(const Stepper& st, const P& pr, Y& y, double t, double h, double sqrt_h, const I& inc) {
    if constexpr (SteppingCallWithRoot<Stepper, P, X>) st.do_step(pr, y, t, h, inc, SqrtStep{sqrt_h});
    else st.do_step(pr, y, t, h, inc);
  }

  // All particles alive: returns false if any particle failed, leaving xs untouched.
  bool fast_pass(double t, double h, double sqrt_h) {
    try {
      return sweep(t, h, sqrt_h);
    } catch (...) {
      return false;
    }
  }

  // The branch-free sweep. Members are copied to locals so that the compiler sees no aliasing between the
  // states, the noise and this object. The failure check is a separate pass, so the step loop has no reduction.
  bool sweep(double t, double h, double sqrt_h) {
    X* __restrict out = ys.data();
    const X* __restrict in = xs.data();
    const double* __restrict noise = z;
    const std::size_t n = count;
    const Stepper& st = stepper;
    if constexpr (!wiener_only) {
      for (std::size_t p = 0; p < n; ++p) {
        out[p] = in[p];
        step_particle(p, t, h, sqrt_h, out[p]);
      }
    } else if constexpr (std::is_arithmetic_v<Inc>) {
      for (std::size_t p = 0; p < n; ++p) {
        X y = in[p];
        advance(st, problem_of(p), y, t, h, sqrt_h, sqrt_h * noise[p]);
        out[p] = y;
      }
    } else {
      for (std::size_t p = 0; p < n; ++p) {
        out[p] = in[p];
        if constexpr (fixed_increment) {
          // A compile-time component count lets the compiler unroll this and keep the increment in registers.
          constexpr Eigen::Index components = Inc::RowsAtCompileTime;
          Inc local;
          for (Eigen::Index c = 0; c < components; ++c) local[c] = sqrt_h * noise[static_cast<std::size_t>(c) * n + p];
          advance(st, problem_of(p), out[p], t, h, sqrt_h, local);
        } else {
          for (std::size_t c = 0; c < m; ++c) dW[static_cast<Eigen::Index>(c)] = sqrt_h * noise[c * n + p];
          advance(st, problem_of(p), out[p], t, h, sqrt_h, dW);
        }
      }
    }
    if constexpr (std::is_arithmetic_v<X> || fixed_size_v<X>) {
      //[ nonfinite_check
      // A double is non-finite exactly when its exponent field is all ones; integer arithmetic only, so it vectorises.
      const auto* values = reinterpret_cast<const double*>(out);
      const std::size_t total = n * (sizeof(X) / sizeof(double));
      std::uint64_t bad = 0;
      for (std::size_t j = 0; j < total; ++j)
        bad |= (((std::bit_cast<std::uint64_t>(values[j]) >> 52) & 0x7ff) + 1) >> 11;
      if (bad) return false;
      //]
      if constexpr (checks_domain)
        for (std::size_t p = 0; p < n; ++p)
          if (!inside(out[p])) return false;
    } else {
      // Dynamic states: the same integer test per particle (vectorised; Eigen's allFinite is a compare-and-reduce).
      std::uint64_t bad = 0;
      for (std::size_t p = 0; p < n; ++p) {
        const double* values = out[p].data();
        const std::size_t size = static_cast<std::size_t>(out[p].size());
        for (std::size_t j = 0; j < size; ++j)
          bad |= (((std::bit_cast<std::uint64_t>(values[j]) >> 52) & 0x7ff) + 1) >> 11;
      }
      if (bad) return false;
      if constexpr (checks_domain)
        for (std::size_t p = 0; p < n; ++p)
          if (!inside(out[p])) return false;
    }
    return true;
  }

  // One particle's step with its increment built on its own: the careful pass, and every pass of schemes whose
  // increments carry more than ΔW.
  void step_particle(std::size_t p, double t, double h, double sqrt_h, X& y) {
    if constexpr (fixed_increment) {
      Inc local;
      increment_of(p, h, sqrt_h, local);
      advance(stepper, problem_of(p), y, t, h, sqrt_h, local);
    } else {
      increment_of(p, h, sqrt_h, dW);
      advance(stepper, problem_of(p), y, t, h, sqrt_h, dW);
    }
  }

  // Particle by particle, with the failure bookkeeping.
  void careful_pass(std::size_t k, double t, double h, double sqrt_h) {
    for (std::size_t p = 0; p < count; ++p) {
      if (!alive[p]) continue;
      ys[p] = xs[p];
      const char* reason = nullptr;
      std::string message;
      try {
        step_particle(p, t, h, sqrt_h, ys[p]);
        reason = failure_reason(ys[p], inside);
      } catch (const std::exception& e) {
        message = e.what();
        reason = message.c_str();
      } catch (...) {
        reason = "exception of unknown type";
      }
      if (reason) {
        recorder.fail(begin + p, k, xs[p], reason);
        alive[p] = 0;
        ++dead;
      } else {
        xs[p] = ys[p];
      }
    }
  }

  void step(std::size_t k, double t, double h) {
    if (k % 2 == 1) {
      z = z_odd.data();
      z_extra = extra_odd.data();
    }
    const double sqrt_h = std::sqrt(h);
    if (ys.size() != xs.size()) ys = xs;
    if (dead == 0 && fast_pass(t, h, sqrt_h)) {
      xs.swap(ys);
      return;
    }
    careful_pass(k, t, h, sqrt_h);
  }

  void record(std::size_t k) {
    if (recorder.saves_at(k))
      for (std::size_t p = 0; p < count; ++p)
        if (alive[p]) recorder.record(begin + p, k, xs[p]);
    if (!recorder.saves_at(k))
      for (std::size_t p : kept)
        if (alive[p]) recorder.record(begin + p, k, xs[p]);
  }
};

}  // namespace sdekit::detail
