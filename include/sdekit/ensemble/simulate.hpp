#pragma once
// Particle ensembles: N independent particles of one problem, run in parallel with OpenMP over fixed-size blocks.
// Particle i draws its Wiener increments from Z(seed, i, step, component) and its other random numbers from
// RandomStream(seed, i, ·), so its path does not depend on which thread ran it, on the block size, or on N.
// Each particle's state at each save time is written to its own column of the result, and statistics are
// computed afterwards from those columns in a fixed order: results are bitwise the same for any thread count.
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/ensemble/statistics.hpp>
#include <sdekit/core/time_grid.hpp>

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace sdekit {

/// How OpenMP hands out blocks of particles to threads; results do not depend on it.
enum class Schedule { static_blocks, dynamic_blocks };

/// What an ensemble run does: how many particles, the seed, the time span and step, where to save.
struct EnsembleOptions {
  std::size_t particles = 1000;             ///< number of particles N
  std::uint64_t seed = 0;                   ///< seed of all the run's random numbers
  double t0 = 0.0;                          ///< start time
  double t1 = 1.0;                          ///< end time
  double dt = 1e-2;                         ///< step (the last one is shortened to land on t1)
  std::vector<double> save_times;           ///< times at which every particle's state is kept; empty: t1 only
  std::vector<std::size_t> keep_paths;      ///< particles whose state is also recorded at every step
  std::size_t block_size = 256;             ///< particles per block (a work unit); does not change results
  int threads = 0;                          ///< OpenMP threads; 0: OpenMP's default (OMP_NUM_THREADS)
  Schedule schedule = Schedule::static_blocks;  ///< OpenMP schedule over blocks; does not change results
  /// Called with the fraction of particles done (increasing, one call at a time, from any thread).
  std::function<void(double)> progress;
};

/// Statistics of the particles alive at one save time.
struct SaveStatistics {
  double time = 0.0;             ///< the save time
  std::size_t alive = 0;         ///< particles the statistics are based on
  Eigen::VectorXd mean;          ///< sample mean per component
  Eigen::VectorXd variance;      ///< unbiased sample variance per component
  Eigen::MatrixXd covariance;    ///< unbiased sample covariance
  Eigen::VectorXd min;           ///< componentwise minimum
  Eigen::VectorXd max;           ///< componentwise maximum
  /// Standard error of the mean per component, sqrt(variance / alive).
  Eigen::VectorXd standard_error() const { return (variance / static_cast<double>(alive)).cwiseSqrt(); }
};

/// A particle that was stopped: its index, the time of its last valid state, that state, and why.
template <class X>
struct FailedParticle {
  std::size_t index = 0;   ///< particle index
  double time = 0.0;       ///< time of last_state (the start of the step that failed)
  X last_state{};          ///< the last finite, in-domain state
  std::string reason;      ///< "non-finite state", "left the domain", or the message of an exception
};

/// The state of one particle at every step.
template <class X>
struct ParticlePath {
  std::size_t index = 0;         ///< particle index
  std::vector<double> times;     ///< step boundaries reached while the particle was valid
  std::vector<X> states;         ///< the state at each of those times
};

/// What an ensemble returns: statistics and every particle's state at each save time, failures, kept paths.
template <class X>
struct EnsembleResult {
  std::size_t particles = 0;                 ///< N
  std::size_t dimension = 0;                 ///< components per state
  std::vector<double> save_times;            ///< the save times
  std::vector<SaveStatistics> statistics;    ///< one per save time
  /// One matrix per save time: dimension × particles, column i the state of particle i (NaN once it failed).
  std::vector<Eigen::MatrixXd> values;
  std::vector<FailedParticle<X>> failures;   ///< in particle order
  std::vector<ParticlePath<X>> paths;        ///< in the order of EnsembleOptions::keep_paths

  /// Component `component` of every particle at save time `save` (NaN for failed particles).
  std::vector<double> component_values(std::size_t save, std::size_t component = 0) const {
    const Eigen::MatrixXd& v = values.at(save);
    std::vector<double> out(static_cast<std::size_t>(v.cols()));
    for (Eigen::Index j = 0; j < v.cols(); ++j) out[static_cast<std::size_t>(j)] = v(static_cast<Eigen::Index>(component), j);
    return out;
  }
  /// The exact q-quantile of a component over the particles alive at save time `save`.
  double quantile(std::size_t save, std::size_t component, double q) const {
    return sdekit::quantile(component_values(save, component), q);
  }
  /// A histogram of a component over the particles alive at save time `save`.
  Histogram histogram(std::size_t save, std::size_t component, std::size_t bins, double lo, double hi) const {
    return sdekit::histogram(component_values(save, component), bins, lo, hi);
  }
  /// The states of the particles alive at save time `save`, in particle order.
  std::vector<X> states(std::size_t save) const {
    const Eigen::MatrixXd& v = values.at(save);
    std::vector<X> out;
    out.reserve(static_cast<std::size_t>(v.cols()));
    for (Eigen::Index j = 0; j < v.cols(); ++j) {
      if (v.col(j).hasNaN()) continue;
      X x = make_state<X>(dimension);
      for (std::size_t c = 0; c < dimension; ++c) set_component(x, c, v(static_cast<Eigen::Index>(c), j));
      out.push_back(x);
    }
    return out;
  }
};

/// A domain that contains every state (the default: only non-finite states stop a particle).
struct AnyState {
  template <class X>
  constexpr bool operator()(const X&) const { return true; }
};

/// Wraps a factory i ↦ problem so that each particle gets its own problem (a parameter sweep).
template <class Factory>
struct PerParticle {
  Factory make;  ///< make(i) returns the problem of particle i
};

/// Gives particle i the problem factory(i), e.g. [&](std::size_t i) { return make_sde(drift(k[i]), diffusion); }.
template <class Factory>
PerParticle<Factory> per_particle(Factory factory) {
  return {std::move(factory)};
}

namespace detail {

template <class T>
inline constexpr bool is_per_particle_v = false;
template <class F>
inline constexpr bool is_per_particle_v<PerParticle<F>> = true;

/// The problem type of one particle.
template <class Problem>
struct particle_problem { using type = Problem; };
template <class F>
struct particle_problem<PerParticle<F>> { using type = std::invoke_result_t<const F&, std::size_t>; };

/// True when x0 is a sampler x0(i, rng) rather than a state (Eigen vectors are callable too, hence the first test).
template <class Init>
inline constexpr bool is_sampler_v = !StateType<Init> && std::is_invocable_v<const Init&, std::size_t, RandomStream&>;

/// Initial states: a fixed state, or a sampler x0(i, rng) with rng = RandomStream(seed, i, 0).
template <class Init, bool = is_sampler_v<Init>>
struct initial_state { using type = Init; };
template <class Init>
struct initial_state<Init, true> { using type = plain_t<std::invoke_result_t<const Init&, std::size_t, RandomStream&>>; };

template <class Init>
auto make_initial_state(const Init& x0, std::uint64_t seed, std::size_t i) {
  using X = typename initial_state<Init>::type;
  if constexpr (is_sampler_v<Init>) {
    RandomStream rng(seed, i, 0);
    return X(x0(i, rng));
  } else {
    return x0;
  }
}

inline void validate_options(const EnsembleOptions& options, std::string_view where) {
  detail::require(options.particles >= 1, where, "particles", options.particles, "must be at least 1");
  detail::require(options.particles <= (std::size_t{1} << 32), where, "particles", options.particles,
                  "must be at most 2^32");
  detail::require(options.block_size >= 1, where, "block_size", options.block_size, "must be at least 1");
  detail::require(options.threads >= 0, where, "threads", options.threads, "must be 0 (OpenMP default) or positive");
  for (std::size_t i = 0; i < options.keep_paths.size(); ++i)
    detail::require(options.keep_paths[i] < options.particles, where, "keep_paths[" + std::to_string(i) + "]",
                    options.keep_paths[i], "must be below particles = " + std::to_string(options.particles));
}

/// Collects each particle's saves, failures and kept path into the result; safe for concurrent particles.
template <class X>
class EnsembleRecorder {
 public:
  EnsembleRecorder(const EnsembleOptions& options, const TimeGrid& grid, std::size_t dimension)
      : grid_(grid), blocks_((options.particles + options.block_size - 1) / options.block_size),
        block_failures_(blocks_), block_size_(options.block_size), path_slot_(options.particles, -1),
        saves_from_(grid.steps() + 2, 0) {
    result_.particles = options.particles;
    result_.dimension = dimension;
    result_.save_times = grid.save_times();
    result_.values.assign(grid.save_times().size(),
                          Eigen::MatrixXd::Constant(static_cast<Eigen::Index>(dimension),
                                                    static_cast<Eigen::Index>(options.particles),
                                                    std::numeric_limits<double>::quiet_NaN()));
    result_.paths.resize(options.keep_paths.size());
    for (std::size_t i = 0; i < options.keep_paths.size(); ++i) {
      result_.paths[i].index = options.keep_paths[i];
      if (path_slot_[options.keep_paths[i]] < 0) path_slot_[options.keep_paths[i]] = static_cast<long>(i);
    }
    // Saves at boundary k are save indices saves_from_[k] … saves_from_[k+1]−1: an O(1) lookup per step.
    for (std::size_t s = 0; s < grid.save_times().size(); ++s) ++saves_from_[grid.save_index(s) + 1];
    for (std::size_t k = 1; k < saves_from_.size(); ++k) saves_from_[k] += saves_from_[k - 1];
  }

  std::size_t blocks() const { return blocks_; }

  /// True when boundary k is a save time.
  bool saves_at(std::size_t k) const { return saves_from_[k + 1] > saves_from_[k]; }
  /// True when particle i's path is kept.
  bool keeps_path(std::size_t i) const { return path_slot_[i] >= 0; }

  /// Records particle i at step boundary k (saves and kept path).
  void record(std::size_t i, std::size_t k, const X& x) {
    for (std::size_t s = saves_from_[k]; s < saves_from_[k + 1]; ++s)
      for (std::size_t c = 0; c < result_.dimension; ++c)
        result_.values[s](static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(i)) = component(x, c);
    if (path_slot_[i] >= 0) {
      ParticlePath<X>& path = result_.paths[static_cast<std::size_t>(path_slot_[i])];
      if (path.times.empty()) {
        path.times.reserve(grid_.steps() + 1);
        path.states.reserve(grid_.steps() + 1);
      }
      path.times.push_back(grid_.time(k));
      path.states.push_back(x);
    }
  }

  /// Marks particle i failed during the step that starts at boundary k.
  void fail(std::size_t i, std::size_t k, const X& last_state, std::string reason) {
    block_failures_[i / block_size_].push_back({i, grid_.time(k), last_state, std::move(reason)});
  }

  /// Builds the result: failures in particle order, statistics per save time.
  EnsembleResult<X> finish() {
    // Within a block failures arrive in time order; each particle fails at most once, so sorting by index gives
    // the same list for any block size.
    for (auto& block : block_failures_)
      for (auto& f : block) result_.failures.push_back(std::move(f));
    std::sort(result_.failures.begin(), result_.failures.end(),
              [](const FailedParticle<X>& a, const FailedParticle<X>& b) { return a.index < b.index; });
    // Paths duplicated in keep_paths share the first slot's recording.
    for (std::size_t i = 0; i < result_.paths.size(); ++i) {
      const long slot = path_slot_[result_.paths[i].index];
      if (static_cast<std::size_t>(slot) != i) result_.paths[i] = result_.paths[static_cast<std::size_t>(slot)];
    }
    result_.statistics.resize(result_.save_times.size());
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t s = 0; s < result_.save_times.size(); ++s) {
      const Moments m = column_moments(result_.values[s]);
      SaveStatistics& st = result_.statistics[s];
      st.time = result_.save_times[s];
      st.alive = m.count();
      st.mean = m.mean();
      st.covariance = m.covariance();
      st.variance = st.covariance.diagonal();
      st.min = m.min();
      st.max = m.max();
    }
    return std::move(result_);
  }

 private:
  const TimeGrid& grid_;
  std::size_t blocks_;
  std::vector<std::vector<FailedParticle<X>>> block_failures_;
  std::size_t block_size_;
  std::vector<long> path_slot_;
  std::vector<std::size_t> saves_from_;
  EnsembleResult<X> result_;
};

/// Runs body(begin, end) for every block of particles in parallel, reports progress, and rethrows the exception
/// of the lowest-numbered block that threw (after all blocks have stopped), so nothing escapes OpenMP.
template <class Body>
void for_each_block(const EnsembleOptions& options, std::size_t blocks, Body&& body) {
  std::vector<std::exception_ptr> errors(blocks);
  std::size_t done = 0;
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  auto run = [&](std::size_t b) {
    const std::size_t begin = b * options.block_size;
    const std::size_t end = std::min(options.particles, begin + options.block_size);
    try {
      body(begin, end);
    } catch (...) {
      errors[b] = std::current_exception();
    }
    if (options.progress) {
#pragma omp critical(sdekit_progress)
      {
        done += end - begin;
        try {
          options.progress(static_cast<double>(done) / static_cast<double>(options.particles));
        } catch (...) {
          if (!errors[b]) errors[b] = std::current_exception();
        }
      }
    }
  };
  const long n = static_cast<long>(blocks);
  if (options.schedule == Schedule::dynamic_blocks) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long b = 0; b < n; ++b) run(static_cast<std::size_t>(b));
  } else {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long b = 0; b < n; ++b) run(static_cast<std::size_t>(b));
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Checks one particle after a step; on failure records it and returns false.
template <class X, class Domain>
bool still_valid(EnsembleRecorder<X>& recorder, const Domain& inside, std::size_t i, std::size_t k, const X& x,
                 const X& before) {
  if (!all_finite(x)) {
    recorder.fail(i, k, before, "non-finite state");
    return false;
  }
  if (!inside(x)) {
    recorder.fail(i, k, before, "left the domain");
    return false;
  }
  return true;
}

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
/// free to vectorise, the failure check a separate integer pass over the new states); if that pass sees a non-finite state, a domain exit or an
/// exception, the step is redone particle by particle from the untouched states, which finds exactly the failed
/// particles. Both passes run the same arithmetic per particle, so they give the same bits.
template <class Stepper, class Problem, class P, class X, class Domain>
struct BlockRunner {
  using Inc = wiener_increment_t<P, X>;
  static constexpr bool checks_domain = !std::is_same_v<Domain, AnyState>;
  static constexpr bool fixed_increment = fixed_size_v<Inc>;

  const Stepper& stepper;
  const Problem& problem;
  const Domain& inside;
  EnsembleRecorder<X>& recorder;
  std::size_t begin;
  std::size_t count;
  std::size_t m;
  std::vector<X> xs, ys;        // states before and after the current step
  std::vector<P> problems;      // per-particle problems of a sweep
  std::vector<unsigned char> alive;
  std::size_t dead = 0;
  std::vector<double> z_even, z_odd;  // N(0,1) of steps 2j and 2j+1, component-major
  const double* z = nullptr;          // the current step's
  Inc dW;                             // used where Inc is dynamic (no allocation per step)
  std::vector<std::size_t> kept;      // block positions whose paths are kept

  BlockRunner(const Stepper& s, const Problem& pr, const Domain& d, EnsembleRecorder<X>& r, std::size_t b,
              std::size_t e, std::size_t noise_dim)
      : stepper(s), problem(pr), inside(d), recorder(r), begin(b), count(e - b), m(noise_dim),
        alive(e - b, 1), z_even(noise_dim * (e - b)), z_odd(noise_dim * (e - b)),
        dW(make_increment<P, X>(noise_dim)) {
    xs.reserve(count);
    if constexpr (is_per_particle_v<Problem>) problems.reserve(count);
    for (std::size_t p = 0; p < count; ++p)
      if (recorder.keeps_path(begin + p)) kept.push_back(p);
  }

  const P& problem_of(std::size_t p) const {
    if constexpr (is_per_particle_v<Problem>) return problems[p];
    else { (void)p; return problem; }
  }

  void add_problem(std::size_t p) {
    if constexpr (is_per_particle_v<Problem>) problems.push_back(problem.make(begin + p));
  }

  void start(std::size_t p, X x) {
    add_problem(p);
    xs.push_back(std::move(x));
  }

  void start_failed(std::size_t p, const X& x, std::string reason) {
    add_problem(p);
    recorder.fail(begin + p, 0, x, std::move(reason));
    alive[p] = 0;
    ++dead;
    xs.push_back(xs.empty() ? x : xs.front());
  }

  void draw_pair(std::uint64_t seed, std::uint64_t pair, bool need_odd) {
    standard_normals_block_pair(seed, begin, count, pair, m, z_even.data(), need_odd ? z_odd.data() : nullptr);
    z = z_even.data();
  }

  // The Wiener increment of particle p: sqrt(h)·Z, scaled in the same order whichever pass runs.
  template <class Target>
  void increment_of(std::size_t p, double sqrt_h, Target& target) const {
    if constexpr (std::is_arithmetic_v<Target>) target = sqrt_h * z[p];
    else
      for (std::size_t c = 0; c < m; ++c) target[static_cast<Eigen::Index>(c)] = sqrt_h * z[c * count + p];
  }

  static bool finite(const X& x) {
    if constexpr (std::is_arithmetic_v<X>) return std::abs(x) <= std::numeric_limits<double>::max();
    else return x.allFinite();
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
    if constexpr (std::is_arithmetic_v<Inc>) {
      for (std::size_t p = 0; p < n; ++p) {
        X y = in[p];
        st.do_step(problem_of(p), y, t, h, sqrt_h * noise[p]);
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
          st.do_step(problem_of(p), out[p], t, h, local);
        } else {
          for (std::size_t c = 0; c < m; ++c) dW[static_cast<Eigen::Index>(c)] = sqrt_h * noise[c * n + p];
          st.do_step(problem_of(p), out[p], t, h, dW);
        }
      }
    }
    if constexpr (std::is_arithmetic_v<X> || fixed_size_v<X>) {
      //[ nonfinite_check
      // A double is non-finite exactly when its exponent field is all ones; integer arithmetic only, so it vectorises.
      const auto* values = reinterpret_cast<const double*>(out);
      const std::size_t total = n * (sizeof(X) / sizeof(double));
      std::uint64_t bad = 0;
      for (std::size_t j = 0; j < total; ++j) bad |= (((std::bit_cast<std::uint64_t>(values[j]) >> 52) & 0x7ff) + 1) >> 11;
      if (bad) return false;
      //]
    } else {
      for (std::size_t p = 0; p < n; ++p)
        if (!out[p].allFinite()) return false;
    }
    if constexpr (checks_domain)
      for (std::size_t p = 0; p < n; ++p)
        if (!inside(out[p])) return false;
    return true;
  }

  // Particle by particle, with the failure bookkeeping.
  void careful_pass(std::size_t k, double t, double h, double sqrt_h) {
    for (std::size_t p = 0; p < count; ++p) {
      if (!alive[p]) continue;
      ys[p] = xs[p];
      const char* reason = nullptr;
      std::string message;
      try {
        if constexpr (fixed_increment) {
          Inc local;
          increment_of(p, sqrt_h, local);
          stepper.do_step(problem_of(p), ys[p], t, h, local);
        } else {
          increment_of(p, sqrt_h, dW);
          stepper.do_step(problem_of(p), ys[p], t, h, dW);
        }
        if (!finite(ys[p])) reason = "non-finite state";
        else if (!inside(ys[p])) reason = "left the domain";
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
    if (k % 2 == 1) z = z_odd.data();
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

}  // namespace detail

/// Runs options.particles particles of `problem` (an Sde, or per_particle(factory)) from x0 (a state, or a
/// sampler x0(i, rng)) with `stepper`, stopping a particle whose state turns non-finite or leaves `inside`.
template <class Stepper, class Problem, class Init, class Domain = AnyState>
auto simulate_ensemble(const Stepper& stepper, const Problem& problem, const Init& x0, const EnsembleOptions& options,
                       const Domain& inside = {}) {
  using X = typename detail::initial_state<Init>::type;
  using P = typename detail::particle_problem<Problem>::type;
  static_assert(check_problem<P, X>());
  constexpr const char* where = "sdekit::simulate_ensemble";
  detail::validate_options(options, where);
  const TimeGrid grid(options.t0, options.t1, options.dt, options.save_times, where);

  auto problem_of = [&](std::size_t i) -> decltype(auto) {
    if constexpr (detail::is_per_particle_v<Problem>) return problem.make(i);
    else return (problem);
  };
  const X first = detail::make_initial_state(x0, options.seed, 0);
  if constexpr (!detail::is_sampler_v<Init>)
    detail::require(all_finite(first), where, "x0", first, "must be finite");
  const std::size_t dimension = state_size(first);
  const std::size_t m = noise_dimension(problem_of(0), first, options.t0, where);

  detail::EnsembleRecorder<X> recorder(options, grid, dimension);
  detail::for_each_block(options, recorder.blocks(), [&](std::size_t begin, std::size_t end) {
    detail::BlockRunner<Stepper, Problem, P, X, Domain> block(stepper, problem, inside, recorder, begin, end, m);
    for (std::size_t p = 0; p < block.count; ++p) {
      X x = detail::make_initial_state(x0, options.seed, begin + p);
      if (state_size(x) != dimension) {
        block.start_failed(p, x, "initial state has " + std::to_string(state_size(x)) + " components, particle 0 has " +
                                     std::to_string(dimension));
      } else if (!all_finite(x)) {
        block.start_failed(p, x, "non-finite initial state");
      } else {
        block.start(p, std::move(x));
      }
    }
    block.record(0);
    const std::size_t steps = grid.steps();
    for (std::size_t k = 0; k < steps; ++k) {
      if (k % 2 == 0) block.draw_pair(options.seed, k / 2, k + 1 < steps);
      block.step(k, grid.time(k), grid.step_size(k));
      block.record(k + 1);
    }
  });
  return recorder.finish();
}

/// Runs options.particles particles of any Markov process given by advance(x, t_from, t_to, rng), which moves a
/// particle's state x across one step of the time grid using its own RandomStream(seed, i, 1) — discrete-time
/// maps, jump processes, anything that is not an SDE — with the same saves, statistics and reproducibility.
template <class Init, class Advance, class Domain = AnyState>
auto simulate_process_ensemble(const Init& x0, const Advance& advance, const EnsembleOptions& options,
                               const Domain& inside = {}) {
  using X = typename detail::initial_state<Init>::type;
  static_assert(StateType<X>, "sdekit: the state must be a double or an Eigen column vector of doubles");
  static_assert(std::is_invocable_v<const Advance&, X&, double, double, RandomStream&>,
                "sdekit::simulate_process_ensemble: advance must be callable as advance(x, t_from, t_to, rng) "
                "with x a state (by reference) and rng a sdekit::RandomStream&");
  constexpr const char* where = "sdekit::simulate_process_ensemble";
  detail::validate_options(options, where);
  const TimeGrid grid(options.t0, options.t1, options.dt, options.save_times, where);
  const X first = detail::make_initial_state(x0, options.seed, 0);
  if constexpr (!detail::is_sampler_v<Init>)
    detail::require(all_finite(first), where, "x0", first, "must be finite");
  const std::size_t dimension = state_size(first);

  detail::EnsembleRecorder<X> recorder(options, grid, dimension);
  detail::for_each_block(options, recorder.blocks(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      X x = detail::make_initial_state(x0, options.seed, i);
      if (state_size(x) != dimension || !all_finite(x)) {
        recorder.fail(i, 0, x, "invalid initial state");
        continue;
      }
      recorder.record(i, 0, x);
      RandomStream rng(options.seed, i, 1);
      X before = x;
      for (std::size_t k = 0; k < grid.steps(); ++k) {
        before = x;
        try {
          advance(x, grid.time(k), grid.time(k + 1), rng);
        } catch (const std::exception& e) {
          recorder.fail(i, k, before, e.what());
          break;
        }
        if (!detail::still_valid(recorder, inside, i, k, x, before)) break;
        recorder.record(i, k + 1, x);
      }
    }
  });
  return recorder.finish();
}

}  // namespace sdekit
