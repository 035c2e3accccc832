#pragma once
// Samplers of score-based diffusion models: they run a linear forward process dx = f(t)x dt + g(t) dW backwards,
// from its prior at t = T down to t = ε, given a score s(x, t) ≈ ∇log p_t(x):
//   reverse-time SDE      dx = [f(t)x − g(t)² s(x,t)] dt + g(t) dW̄      (any sdekit stepper)
//   predictor–corrector   reverse-diffusion / ancestral / Euler–Maruyama predictors, Langevin corrector (snr)
//   probability-flow ODE  dx/dt = f(t)x − ½ g(t)² s(x,t)                  (Boost.Odeint dopri5, adaptive or fixed)
// Every sampler is an ensemble run (simulate_process_ensemble): particle i draws its noise from its own
// RandomStream, so samples are bitwise the same for any thread count, and a particle whose score turns
// non-finite is stopped and reported, not a crash. Every sampler ends with a noise-free final step.
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/time_grid.hpp>

#include <boost/numeric/odeint.hpp>

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

namespace sdekit {

/// What a diffusion sampler runs: the RunOptions fields (particles = samples, seed of the prior and the noise,
/// threads, block_size, schedule, progress; inherited, passed to the ensemble whole), and the time grid from T down
/// to ε with its saves.
struct ReverseSampleOptions : RunOptions {
  std::size_t steps = 100;  ///< steps of the uniform grid T = t_0 > … > t_steps = epsilon
  double epsilon = 1e-3;    ///< last time of the uniform grid, in (0, T)
  /// A user grid instead: strictly increasing times ε = time_grid[0] < … ≤ T, walked from the end (overrides
  /// steps and epsilon).
  std::vector<double> time_grid;
  /// Grid times (diffusion time t) at which every particle's state is kept, besides the final one; results list
  /// them in sampling order (decreasing t).
  std::vector<double> save_times;
};

/// Samples and their cost. ensemble.save_times are diffusion times (decreasing); the last save is the output.
template <class X>
struct DiffusionSamples {
  EnsembleResult<X> ensemble;           ///< states and statistics at the save times, failures
  std::uint64_t score_evaluations = 0;  ///< total calls of the score (or noise predictor), all particles
  /// The final samples, dimension × particles (NaN columns for failed particles); throws std::invalid_argument
  /// when the run kept statistics only.
  const Eigen::MatrixXd& samples() const {
    detail::require(!ensemble.statistics_only, "sdekit::DiffusionSamples::samples", "options.statistics.storage",
                    "statistics_only", "keeps no samples: read statistics() instead");
    return ensemble.values.back();
  }
  /// Statistics of the final samples.
  const SaveStatistics& statistics() const { return ensemble.statistics.back(); }
};

namespace detail {

/// Per-thread counters (one cache line each) summed at the end: integer sums do not depend on the split.
class EvaluationCounter {
 public:
  explicit EvaluationCounter(int threads)
      : counts_(static_cast<std::size_t>(std::max(threads, omp_get_max_threads())) + 1) {}
  void add(std::uint64_t n) {
    const auto i = static_cast<std::size_t>(omp_get_thread_num());
    counts_[std::min(i, counts_.size() - 1)].value += n;
  }
  /// The count of this process, or of all processes of a distributed run (collective then).
  std::uint64_t total(ParticleDistribution* distribution = nullptr) const {
    std::uint64_t sum = 0;
    for (const auto& c : counts_) sum += c.value;
    return distribution ? distribution->sum(sum) : sum;
  }

 private:
  struct alignas(64) Slot {
    std::uint64_t value = 0;
  };
  std::vector<Slot> counts_;
};

/// Calls the user's score, counts the call, and turns a non-finite or mis-sized result into an exception (which
/// the ensemble records as that particle's failure).
template <class Score>
struct CheckedScore {
  const Score* score;
  EvaluationCounter* counter;
  const char* where;
  template <class X>
  X operator()(const X& x, double t) const {
    if (counter) counter->add(1);
    const X s = (*score)(x, t);
    if (state_size(s) != state_size(x))
      throw_invalid(where, "size of score s(x, t)", state_size(s),
                    "must equal the state size " + to_text(state_size(x)));
    if (!all_finite(s)) throw_invalid(where, "score s(x, t)", s, "must be finite (at t = " + to_text(t) + ")");
    return s;
  }
};

/// The state type odeint integrates for X: double, std::array for fixed-size vectors (copies of odeint's steppers
/// then carry no uninitialised Eigen storage), std::vector for dynamic ones.
template <class X, bool = std::is_same_v<X, double>>
struct ode_state {
  using type = double;
};
template <class X>
struct ode_state<X, false> {
  using type = std::conditional_t<X::RowsAtCompileTime == Eigen::Dynamic, std::vector<double>,
                                  std::array<double, static_cast<std::size_t>(std::max(1, int(X::RowsAtCompileTime)))>>;
};

template <class X, class S>
void to_ode_state(const X& x, S& s) {
  if constexpr (std::is_same_v<X, double>) s = x;
  else {
    if constexpr (std::is_same_v<S, std::vector<double>>) s.resize(static_cast<std::size_t>(x.size()));
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = x[static_cast<Eigen::Index>(i)];
  }
}

template <class X, class S>
void from_ode_state(const S& s, X& x) {
  if constexpr (std::is_same_v<X, double>) x = s;
  else
    for (std::size_t i = 0; i < s.size(); ++i) x[static_cast<Eigen::Index>(i)] = s[i];
}

/// The sampling times t_0 = T > t_1 > … > t_K ≥ ε from the options (uniform grid, or the user's grid reversed).
inline std::vector<double> sampling_times(const ReverseSampleOptions& o, double T, const char* where) {
  validate_run_options(o, where);  // first, so that errors name the sampler rather than the ensemble under it
  std::vector<double> times;
  if (!o.time_grid.empty()) {
    const auto& g = o.time_grid;
    require(g.size() >= 2, where, "time_grid.size()", g.size(), "must be at least 2");
    require(std::isfinite(g[0]) && g[0] > 0, where, "time_grid[0]", g[0], "must be positive (it is epsilon)");
    for (std::size_t i = 1; i < g.size(); ++i)
      require(std::isfinite(g[i]) && g[i] > g[i - 1], where, "time_grid[" + std::to_string(i) + "]", g[i],
              "must be greater than time_grid[" + std::to_string(i - 1) + "] = " + to_text(g[i - 1]) +
                  " (the grid must be strictly increasing)");
    require(g.back() <= T, where, "time_grid[" + std::to_string(g.size() - 1) + "]", g.back(),
            "must not exceed T = " + to_text(T));
    times.assign(g.rbegin(), g.rend());
    return times;
  }
  check_epsilon(o.epsilon, T, where);
  require(o.steps >= 1, where, "steps", o.steps, "must be at least 1");
  require(o.steps <= TimeGrid::max_steps, where, "steps", o.steps,
          "must be at most TimeGrid::max_steps = " + std::to_string(TimeGrid::max_steps));
  times.resize(o.steps + 1);
  for (std::size_t k = 0; k <= o.steps; ++k)
    times[k] = T - static_cast<double>(k) * (T - o.epsilon) / static_cast<double>(o.steps);
  times.back() = o.epsilon;
  return times;
}

/// The ensemble options of a reverse chain over `times` in step-index time (t_k ↦ k), with the grid indices of the
/// saves (the user's save_times, then the last time) in `index`.
inline EnsembleOptions reverse_chain_options(const std::vector<double>& times, const ReverseSampleOptions& o,
                                             std::vector<std::size_t>& index, const char* where) {
  const std::size_t K = times.size() - 1;
  EnsembleOptions eo;
  static_cast<RunOptions&>(eo) = o;  // the whole slice: a field added to RunOptions reaches the ensemble too
  eo.t0 = 0.0;
  eo.t1 = static_cast<double>(K);
  eo.dt = 1.0;
  index.clear();
  for (std::size_t i = 0; i < o.save_times.size(); ++i) {
    const double s = o.save_times[i];
    auto it = std::find_if(times.begin(), times.end(),
                           [s](double t) { return std::abs(t - s) <= 1e-12 * std::max(1.0, std::abs(s)); });
    require(it != times.end(), where, "save_times[" + std::to_string(i) + "]", s,
            "must be a time of the sampling grid");
    index.push_back(static_cast<std::size_t>(it - times.begin()));
  }
  index.push_back(K);
  std::sort(index.begin(), index.end());
  index.erase(std::unique(index.begin(), index.end()), index.end());
  for (std::size_t k : index) eo.save_times.push_back(static_cast<double>(k));
  return eo;
}

/// Gives the saves and failures of a chain run in step-index time their diffusion times back.
template <class Result>
void relabel_chain_times(Result& result, const std::vector<double>& times, const std::vector<std::size_t>& index) {
  for (std::size_t i = 0; i < index.size(); ++i) {
    result.save_times[i] = times[index[i]];
    result.statistics[i].time = times[index[i]];
  }
  for (auto& f : result.failures) f.time = times[static_cast<std::size_t>(std::lround(f.time))];
}

/// Runs the chain x_{t_0} → x_{t_1} → … → x_{t_K} for every particle, step(x, k, rng) doing t_k → t_{k+1}, as an
/// ensemble in step-index time, then relabels saves and failures with diffusion times.
template <class Init, class Step>
auto run_reverse_chain(const Init& x_T, const std::vector<double>& times, const ReverseSampleOptions& o,
                       const Step& step, const char* where) {
  std::vector<std::size_t> index;
  const EnsembleOptions eo = reverse_chain_options(times, o, index, where);
  using X = typename initial_state<Init>::type;
  auto advance = [&](X& x, double from, double, RandomStream& rng) {
    step(x, static_cast<std::size_t>(std::lround(from)), rng);
  };
  auto result = simulate_process_ensemble(x_T, advance, eo);
  relabel_chain_times(result, times, index);
  return result;
}

}  // namespace detail

/// The reverse-time SDE as an sdekit problem in τ = T − t (so that it runs forward in τ from 0):
/// dx = [g(t)² s(x,t) − f(t)x] dτ + g(t) dW, t = T − τ; additive noise, so every stepper applies.
template <class Forward, class Score>
auto reverse_sde(const Forward& forward, const Score& score) {
  const double T = forward.end_time();
  auto drift = [forward, score, T](const auto& x, double tau) {
    using X = plain_t<decltype(x)>;
    const double t = T - tau;
    const double g = forward.g(t);
    const X s = score(x, t);
    return X(g * g * s - forward.drift_coefficient(t) * x);
  };
  auto diffusion = [forward, T](const auto& x, double tau) {
    using X = plain_t<decltype(x)>;
    return make_state<X>(state_size(x), forward.g(T - tau));
  };
  return make_sde(drift, diffusion, additive);
}

/// Samples by integrating the reverse-time SDE from the prior x_T (a state or a sampler x(i, rng), e.g.
/// forward.prior_sampler(x)) down to ε with `stepper` (Euler–Maruyama by default; stochastic Heun and Milstein
/// apply too, the noise being additive). The last step is taken without noise.
template <class Forward, class Score, class Init, class Stepper = EulerMaruyama>
auto sample_reverse_sde(const Forward& forward, const Score& score, const Init& x_T,
                        const ReverseSampleOptions& options, const Stepper& stepper = {}) {
  constexpr const char* where = "sdekit::sample_reverse_sde";
  using X = typename detail::initial_state<Init>::type;
  const double T = forward.end_time();
  const std::vector<double> times = detail::sampling_times(options, T, where);
  detail::EvaluationCounter counter(options.threads);
  const detail::CheckedScore<Score> checked{&score, &counter, where};
  const auto problem = reverse_sde(forward, checked);
  using P = std::decay_t<decltype(problem)>;
  const std::size_t K = times.size() - 1;
  static_assert(check_stepper<Stepper, P, X>());
  using Inc = increment_t<Stepper, P, X>;
  auto step = [&](X& x, std::size_t k, RandomStream& rng) {
    const double t = times[k], h = times[k] - times[k + 1];
    Inc inc = make_zero_increment<Inc>(state_size(x));  // diagonal noise: one Wiener process per component
    if (k + 1 < K) detail::draw_increment(rng, h, inc);
    stepper.do_step(problem, x, T - t, h, inc);
  };
  auto result = detail::run_reverse_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

/// The predictor of a predictor–corrector step from t to s < t.
enum class Predictor {
  euler_maruyama,     ///< x += [g² s − f x] h + g √h z
  reverse_diffusion,  ///< x ← (2 − α) x + G² s + G z with the exact forward transition x_t = α x_s + G z
  ancestral,          ///< a draw from q(x_s | x_t, x̂0) with Tweedie's x̂0 = (x + σ_t² s)/a_t
  none                ///< corrector only
};

/// The corrector of a predictor–corrector step.
enum class Corrector {
  none,     ///< predictor only
  langevin  ///< Langevin MCMC at fixed t with step 2 α (snr σ_t)²
};

/// Predictor–corrector settings (Song et al. 2021, Algorithms 2–3).
struct PredictorCorrector {
  Predictor predictor = Predictor::reverse_diffusion;  ///< the predictor
  Corrector corrector = Corrector::langevin;           ///< the corrector
  double snr = 0.16;                                   ///< Langevin signal-to-noise ratio r
  std::size_t corrector_steps = 1;                     ///< Langevin steps per time step
};

/// Predictor–corrector sampling: at each grid time t_k the corrector runs at t_k (with no predictor: at t_{k+1}),
/// then the predictor moves to t_{k+1}; the last update of the run adds no noise. The Langevin step is
/// 2α(snr·σ_t)², the high-dimensional limit of Song et al.'s 2α(snr‖z‖/‖s‖)² (their batch-averaged norms have no
/// per-particle equivalent that stays stable in low dimension), with α = α_k² of the forward transition (1 with
/// no predictor).
template <class Forward, class Score, class Init>
auto sample_predictor_corrector(const Forward& forward, const Score& score, const Init& x_T,
                                const ReverseSampleOptions& options, const PredictorCorrector& pc = {}) {
  constexpr const char* where = "sdekit::sample_predictor_corrector";
  using X = typename detail::initial_state<Init>::type;
  detail::require(pc.predictor != Predictor::none || pc.corrector != Corrector::none, where, "predictor", "none",
                  "and corrector none leave nothing to do");
  if (pc.corrector == Corrector::langevin) {
    detail::require(std::isfinite(pc.snr) && pc.snr > 0, where, "snr", pc.snr, "must be positive and finite");
    detail::require(pc.corrector_steps >= 1, where, "corrector_steps", pc.corrector_steps, "must be at least 1");
  }
  const std::vector<double> times = detail::sampling_times(options, forward.end_time(), where);
  detail::EvaluationCounter counter(options.threads);
  const detail::CheckedScore<Score> s_of{&score, &counter, where};
  const std::size_t K = times.size() - 1;
  auto step = [&](X& x, std::size_t k, RandomStream& rng) {
    const double t = times[k], s = times[k + 1];
    const bool last = k + 1 == K;
    const auto [alpha, G] = forward.transition(s, t);
    if (pc.corrector == Corrector::langevin) {
      const bool no_predictor = pc.predictor == Predictor::none;
      const double tc = no_predictor ? s : t;
      const double alpha_c = no_predictor ? 1.0 : alpha * alpha;
      const double sigma = forward.marginal_std(tc);
      // Song et al.'s step 2α(r‖z‖/‖s‖)² in its high-dimensional limit ‖s‖ ≈ √d/σ_t, ‖z‖ ≈ √d: per-particle norms
      // blow the step up whenever a particle's score happens to be small, which is common in low dimension.
      const double eps = 2.0 * alpha_c * pc.snr * pc.snr * sigma * sigma;
      for (std::size_t j = 0; j < pc.corrector_steps; ++j) {
        const X grad = s_of(x, tc);
        x += eps * grad;
        if (!(no_predictor && last && j + 1 == pc.corrector_steps))
          x += std::sqrt(2.0 * eps) * detail::standard_normal_state(rng, x);
      }
    }
    switch (pc.predictor) {
      case Predictor::none:
        break;
      case Predictor::euler_maruyama: {
        const double h = t - s, g = forward.g(t);
        const X sc = s_of(x, t);
        x += (g * g * sc - forward.drift_coefficient(t) * x) * h;
        if (!last) x += g * std::sqrt(h) * detail::standard_normal_state(rng, x);
        break;
      }
      case Predictor::reverse_diffusion: {
        const X sc = s_of(x, t);
        x = X((2.0 - alpha) * x + G * G * sc);
        if (!last) x += G * detail::standard_normal_state(rng, x);
        break;
      }
      case Predictor::ancestral: {
        const X sc = s_of(x, t);
        const double at = forward.mean_coefficient(t), as = forward.mean_coefficient(s);
        const double st2 = forward.marginal_std(t) * forward.marginal_std(t);
        const double ss2 = forward.marginal_std(s) * forward.marginal_std(s);
        const X x0 = X((x + st2 * sc) / at);
        x = X(alpha * ss2 / st2 * x + as * G * G / st2 * x0);
        if (!last) x += G * std::sqrt(ss2 / st2) * detail::standard_normal_state(rng, x);
        break;
      }
    }
  };
  auto result = detail::run_reverse_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

/// Probability-flow ODE settings.
struct ProbabilityFlowOptions {
  bool adaptive = true;        ///< adaptive dopri5 over each grid interval; false: one dopri5 step per interval
  double rtol = 1e-6;          ///< relative tolerance (adaptive)
  double atol = 1e-6;          ///< absolute tolerance (adaptive)
  double initial_step = 1e-2;  ///< first trial step of each interval (adaptive)
};

/// Samples by integrating the probability-flow ODE dx/dt = f(t)x − ½ g(t)² s(x,t) from x_T down to ε with
/// Boost.Odeint's Dormand–Prince 5(4): adaptively (rtol/atol) over each interval of the grid (use steps = 1
/// unless you want saves in between), or with one fixed dopri5 step per interval (order 5). Deterministic given
/// x_T; score_evaluations counts every right-hand-side call.
template <class Forward, class Score, class Init>
auto sample_probability_flow(const Forward& forward, const Score& score, const Init& x_T,
                             const ReverseSampleOptions& options, const ProbabilityFlowOptions& ode = {}) {
  namespace odeint = boost::numeric::odeint;
  constexpr const char* where = "sdekit::sample_probability_flow";
  using X = typename detail::initial_state<Init>::type;
  if (ode.adaptive) {
    detail::require(std::isfinite(ode.rtol) && ode.rtol > 0, where, "rtol", ode.rtol, "must be positive and finite");
    detail::require(std::isfinite(ode.atol) && ode.atol > 0, where, "atol", ode.atol, "must be positive and finite");
    detail::require(std::isfinite(ode.initial_step) && ode.initial_step > 0, where, "initial_step", ode.initial_step,
                    "must be positive and finite");
  }
  const std::vector<double> times = detail::sampling_times(options, forward.end_time(), where);
  detail::EvaluationCounter counter(options.threads);
  const detail::CheckedScore<Score> s_of{&score, &counter, where};
  using S = typename detail::ode_state<X>::type;
  auto step = [&](X& x, std::size_t k, RandomStream&) {
    const double t = times[k], s = times[k + 1];
    X work = x;  // sized like x, reused by every right-hand-side call of this interval
    auto system = [&](const S& y, S& dydt, double tt) {
      detail::from_ode_state(y, work);
      const double g = forward.g(tt);
      const X v = X(forward.drift_coefficient(tt) * work - 0.5 * g * g * s_of(work, tt));
      detail::to_ode_state(v, dydt);
    };
    S y;
    detail::to_ode_state(x, y);
    odeint::runge_kutta_dopri5<S> dopri5;
    if (ode.adaptive) {
      auto controlled = odeint::make_controlled(ode.atol, ode.rtol, dopri5);
      odeint::integrate_adaptive(controlled, system, y, t, s, -std::min(ode.initial_step, t - s));
    } else {
      dopri5.do_step(system, y, t, s - t);
    }
    detail::from_ode_state(y, x);
  };
  auto result = detail::run_reverse_chain(x_T, times, options, step, where);
  return DiffusionSamples<X>{std::move(result), counter.total(options.distribution.get())};
}

}  // namespace sdekit
