#pragma once
// Adaptive time stepping of one path on a virtual Brownian tree (core/brownian_tree.hpp).
//
// Each step's error is estimated, the step accepted when the scaled error is at most 1 and retried shorter when not,
// and the next step sized by a PI controller. The Brownian path is the tree's, which does not depend on the order of
// queries: a rejected step is retried on the same path, and the steps taken (and the result) are bitwise the same
// whatever was asked of the tree before and on whatever thread it runs.
//
// Error estimate: schemes with an embedded pair (SRIW1, SRA1, SRA3: do_step's ErrorEstimate overload) give
// E = δ E₁ + E₂ per component (Rackauckas & Nie 2017; StochasticDiffEq.jl's calculate_residuals with its SRIW1
// default δ = 1/6); for other schemes (Euler–Maruyama, Milstein, Heun) step doubling on the same path: the step is
// taken as two half steps, E = (two halves) − (one step), and the two-half result is kept (ErrorEstimator::
// step_doubling asks for it with any scheme). DriftErrorEstimate::euler_difference replaces E₁, the size of the
// drift's move, by the drift's difference to Euler's, a local error estimate (measured in tests/core/
// test_adaptive.cpp: better on the van der Pol path, worse on the cubic problem; SciML's stays the default). The
// scaled error is the RMS over components of E_i / (atol + rtol max(|x_i|, |x_new,i|)).
//
// What the tolerance bounds (ErrorControl): bounding each step's estimate (per_step, StochasticDiffEq.jl's and
// diffrax's meaning) makes the error at t1 fall as tol^(q/p), with p the order in h of the estimate and q the scheme's
// strong order: 1.5 for SRIW1 (p = 1: δ h Σ a_i, and E₂'s b-differences O(√h) times χ₂ = O(√h)) and 0.5 for
// Euler–Maruyama with step doubling on multiplicative noise (p = q + ½: the local error). ErrorControl::global (the
// default) weighs the scaled estimate by (span / h)^(p − q), which makes it O(h^q) like the global error: for step
// doubling that is √N, the growth of a sum of N = span/h independent local errors. Measured slopes of log error
// against log tol (tests/core/test_adaptive.cpp): SRIW1 0.93 (cubic), 0.96 (wave), 0.98 (GBM); EM with step doubling
// 0.49, 0.87, 0.73.
//
// PI controller (Hairer & Wanner; the form of OrdinaryDiffEq.jl's PIController): with q the scheme's strong order,
// β₁ = 7/(10q), β₂ = 2/(5q) (SciML's defaults), a step of scaled error e is accepted when e ≤ 1 and the next
// proposal is dt · clamp(safety · e^(−β₁) · e_prev^(β₂), min_factor, max_factor); a rejection shrinks it by
// clamp(safety · e^(−β₁), min_factor, 1). The defaults min_factor 1/5 and max_factor 9/8 are StochasticDiffEq.jl's:
// the error estimate of a stochastic step is itself random (it grows with the step's |ΔW|), so letting one lucky
// small estimate grow the step by more than 12.5% mostly buys rejections.
//
// Step ends lie on the tree's grid. A proposal dt from t_k ends at the coarsest grid point (the one with the most
// trailing zero bits in its index) in [t_k + ¾ dt, t_k + dt]: such points are shallow nodes of the tree, so a
// forward sweep draws amortised O(1) nodes per step; the proposal itself (not the snapped step) is what the
// controller scales, so snapping never ratchets the step down. Stop times (and t1) are landed on exactly.
#include <sdekit/core/brownian_tree.hpp>
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/stepper.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit {

/// How integrate_adaptive estimates a step's error.
enum class ErrorEstimator {
  automatic,      ///< the scheme's embedded estimate when it has one (SRIW1, SRA1, SRA3), else step doubling
  step_doubling,  ///< always step doubling: two half steps against one step (three steps' work per attempt)
};

/// Which drift part an embedded error estimate uses (ErrorEstimate).
enum class DriftErrorEstimate {
  stage_sum,         ///< δ E₁ + E₂ with E₁ = h Σ a_i, StochasticDiffEq.jl's (Rackauckas & Nie 2017)
  euler_difference,  ///< δ h (Σ α_i a_i − a₁) + E₂: the drift's difference to Euler's, a local error estimate
};

/// What the tolerance bounds (AdaptiveOptions::error_control).
enum class ErrorControl {
  /// The global error: each step's scaled estimate is weighed by (span / h)^(p − q), p the estimate's order in h and
  /// q the scheme's strong order, so that the error at t1 falls in proportion to the tolerance (see core/adaptive.hpp).
  global,
  /// Each step's estimated error (StochasticDiffEq.jl's and diffrax's meaning): the error at t1 then falls as
  /// tol^(q/p), about tol^1.5 for SRIW1 and tol^0.5 for Euler–Maruyama with step doubling on multiplicative noise.
  per_step,
};

/// Settings of integrate_adaptive (see core/adaptive.hpp for the controller and their defaults).
struct AdaptiveOptions {
  double atol = 1e-3;                     ///< absolute tolerance
  double rtol = 1e-3;                     ///< relative tolerance
  double safety = 0.9;                    ///< safety factor of the controller
  double min_factor = 0.2;                ///< smallest factor a step may shrink by
  double max_factor = 9.0 / 8.0;          ///< largest factor a step may grow by
  double drift_error_weight = 1.0 / 6.0;  ///< δ in δ E₁ + E₂ of an embedded estimate (StochasticDiffEq's for SRIW1)
  double dt_initial = 0;                  ///< first proposal; 0 means (t1 − t0) / 100
  double dt_min = 0;                      ///< smallest step; 0 means the tree's resolution (its grid step)
  double dt_max = std::numeric_limits<double>::infinity();  ///< largest step
  std::size_t max_steps = 1000000;                          ///< most step attempts (accepted and rejected)
  std::vector<double> stop_times;  ///< grid times, increasing, that steps land on exactly (t1 always is)
  ErrorEstimator estimator = ErrorEstimator::automatic;  ///< where the error estimate comes from
  /// The drift part of an embedded estimate (δ = drift_error_weight weighs either).
  DriftErrorEstimate drift_estimate = DriftErrorEstimate::stage_sum;
  /// What the tolerance bounds: the global error (default) or each step's estimate.
  ErrorControl error_control = ErrorControl::global;
};

/// Why integrate_adaptive stopped.
enum class AdaptiveStop {
  reached_end,  ///< reached t1
  max_steps,    ///< AdaptiveOptions::max_steps attempts were made
  dt_min,       ///< a step of the smallest size was rejected: the tolerance cannot be met on this path
  non_finite,   ///< a step of the smallest size made the state non-finite
};

/// What integrate_adaptive did: where it stopped and why, and how many steps it accepted and rejected.
struct AdaptiveResult {
  AdaptiveStop stop = AdaptiveStop::reached_end;  ///< why it stopped
  double t = 0;                                   ///< the time of the returned state
  std::size_t accepted = 0;                       ///< accepted steps
  std::size_t rejected = 0;                       ///< rejected steps
  double last_dt = 0;                             ///< the last accepted step
};

/// A name for an AdaptiveStop, for messages and reports.
inline const char* to_string(AdaptiveStop stop) {
  switch (stop) {
    case AdaptiveStop::reached_end:
      return "reached_end";
    case AdaptiveStop::max_steps:
      return "max_steps";
    case AdaptiveStop::dt_min:
      return "dt_min";
    case AdaptiveStop::non_finite:
      return "non_finite";
  }
  return "?";
}

namespace detail {

/// True when stepper S has the do_step overload that fills an embedded ErrorEstimate.
template <class S, class P, class X>
concept EmbeddedErrorStepper = requires(const S& s, const P& p, X& x, double t, double h,
                                        const increment_t<S, P, X>& inc, ErrorEstimate<X>& e) {
  s.do_step(p, x, t, h, inc, e);
};

/// The number of components of a state and component i of it.
template <class X>
std::size_t component_count(const X& x) {
  if constexpr (std::is_arithmetic_v<X>) {
    (void)x;
    return 1;
  } else return static_cast<std::size_t>(x.size());
}
/// Component i of a state (the state itself for a double).
template <class X>
double component_of(const X& x, std::size_t i) {
  if constexpr (std::is_arithmetic_v<X>) {
    (void)i;
    return x;
  } else return x[static_cast<Eigen::Index>(i)];
}

/// RMS over components of e_i / (atol + rtol max(|before_i|, |after_i|)); +inf when anything is not finite.
template <class X>
double scaled_error(const X& e, const X& before, const X& after, double atol, double rtol) {
  const std::size_t n = component_count(e);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double scale = atol + rtol * std::max(std::abs(component_of(before, i)), std::abs(component_of(after, i)));
    const double r = component_of(e, i) / scale;
    sum += r * r;
  }
  const double rms = std::sqrt(sum / static_cast<double>(n));
  return std::isfinite(rms) && all_finite(after) ? rms : std::numeric_limits<double>::infinity();
}

/// The coarsest grid point (most trailing zero bits) in [low, high], low ≤ high.
inline std::uint64_t coarsest_point(std::uint64_t low, std::uint64_t high) {
  for (int bit = 63; bit > 0; --bit) {
    const std::uint64_t candidate = high & ~((std::uint64_t{1} << bit) - 1);
    if (candidate >= low && candidate != 0) return candidate;
  }
  return high;
}

}  // namespace detail

/// Integrates x from tree.t0() to tree.t1() with adaptive steps on the tree's Brownian path, calling obs(x, t) at
/// t0 and after every accepted step. Throws std::invalid_argument (naming the option) for tolerances that are not
/// positive, factors out of order, stop times off the grid or out of order, or a tree whose dimension is not the
/// problem's number of Wiener processes; the run itself never throws for a hard path but stops and says why.
template <class Stepper, class P, class X, double V, class Observer = NullObserver>
AdaptiveResult integrate_adaptive(Stepper& stepper, const P& problem, X& x, BasicBrownianTree<V>& tree,
                                  const AdaptiveOptions& options = {}, Observer&& obs = {}) {
  static_assert(check_stepper<Stepper, P, X>());
  using Inc = increment_t<Stepper, P, X>;
  constexpr std::string_view where = "sdekit::integrate_adaptive";
  detail::require(options.atol >= 0 && options.rtol >= 0 && options.atol + options.rtol > 0, where, "atol",
                  options.atol, "and rtol = " + detail::to_text(options.rtol) + " must be non-negative, not both 0");
  detail::require(options.safety > 0 && options.safety <= 1, where, "safety", options.safety, "must be in (0, 1]");
  detail::require(options.min_factor > 0 && options.min_factor < 1, where, "min_factor", options.min_factor,
                  "must be in (0, 1)");
  detail::require(options.max_factor >= 1, where, "max_factor", options.max_factor, "must be at least 1");
  detail::require(options.drift_error_weight >= 0, where, "drift_error_weight", options.drift_error_weight,
                  "must be non-negative");
  detail::require(options.dt_initial >= 0 && options.dt_min >= 0 && options.dt_max > 0, where, "dt_max", options.dt_max,
                  "must be positive, and dt_initial and dt_min non-negative");
  detail::require(options.max_steps >= 1, where, "max_steps", options.max_steps, "must be at least 1");
  detail::require(all_finite(x), where, "x0", x, "must be finite");
  const std::uint64_t end = tree.leaves();
  std::vector<std::uint64_t> stops;
  for (double t : options.stop_times) {
    const std::uint64_t k = tree.index_of(t, "stop_times");
    detail::require(stops.empty() || k > stops.back(), where, "stop_times", t, "must be increasing");
    if (k > 0 && k < end) stops.push_back(k);
  }
  stops.push_back(end);

  const double span = tree.t1() - tree.t0();
  const double resolution = tree.resolution();
  const double dt_min = std::max(options.dt_min, resolution);
  const double dt_max = std::min(options.dt_max, span);
  double dt = std::clamp(options.dt_initial > 0 ? options.dt_initial : span / 100, dt_min, dt_max);
  constexpr double order = strong_order_v<Stepper, P, X>;
  const double beta1 = 0.7 / order, beta2 = 0.4 / order;
  double previous_error = 1e-4;  // OrdinaryDiffEq's qoldinit
  // ErrorControl::global: the exponent p − q of (span / h) for each estimator (see the header comment).
  const double global_weight_embedded = options.error_control == ErrorControl::global ? 1.0 - order : 0.0;
  const double global_weight_doubling = options.error_control == ErrorControl::global ? 0.5 : 0.0;

  Inc inc = make_zero_increment<Inc>(noise_dimension(problem, x, tree.t0(), where));
  detail::require(
      wiener_dimension(wiener_part(inc)) == tree.dimension(), where, "tree.dimension()", tree.dimension(),
      "must equal the problem's number of Wiener processes " + detail::to_text(wiener_dimension(wiener_part(inc))));
  Inc half = inc;
  AdaptiveResult result;
  std::uint64_t k = 0;
  std::size_t next_stop = 0;
  obs(std::as_const(x), tree.t0());
  X trial = x, coarse = x;
  while (k < end) {
    if (result.accepted + result.rejected >= options.max_steps) {
      result.stop = AdaptiveStop::max_steps;
      break;
    }
    // The step's end: the coarsest grid point in [k + ¾ dt, k + dt], at least one grid step, at most the next stop.
    const double leaves = dt / resolution;
    const std::uint64_t limit = stops[next_stop];
    const std::uint64_t high = std::min<std::uint64_t>(
        limit, k + std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::min(leaves, 9e15))));
    const std::uint64_t low = std::min<std::uint64_t>(
        high, k + std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(std::min(0.75 * leaves, 9e15)))));
    const std::uint64_t k1 = detail::coarsest_point(low, high);
    const double t = tree.time_of(k);
    const double t1 = tree.time_of(k1);
    const double h = t1 - t;
    double error = 0;
    trial = x;
    bool estimated = false;
    if constexpr (detail::EmbeddedErrorStepper<Stepper, P, X>) {
      if (options.estimator == ErrorEstimator::automatic) {
        ErrorEstimate<X> estimate;
        tree.increment(k, k1, inc);
        stepper.do_step(problem, trial, t, h, inc, estimate);
        const X e =
            options.drift_error_weight *
                (options.drift_estimate == DriftErrorEstimate::stage_sum ? estimate.drift : estimate.drift_difference) +
            estimate.diffusion;
        error =
            detail::scaled_error(e, x, trial, options.atol, options.rtol) * std::pow(span / h, global_weight_embedded);
        estimated = true;
      }
    }
    if (!estimated) {
      if (k1 - k >= 2) {
        // Step doubling on the same path: one step over [k, k1] against two over its halves.
        const std::uint64_t mid = k + (k1 - k) / 2;
        const double tm = tree.time_of(mid);
        coarse = x;
        tree.increment(k, k1, inc);
        stepper.do_step(problem, coarse, t, h, inc);
        tree.increment(k, mid, half);
        stepper.do_step(problem, trial, t, tm - t, half);
        tree.increment(mid, k1, half);
        stepper.do_step(problem, trial, tm, t1 - tm, half);
        const X e = trial - coarse;
        error =
            detail::scaled_error(e, x, trial, options.atol, options.rtol) * std::pow(span / h, global_weight_doubling);
      } else {
        // A single grid step cannot be halved: accept it if finite (it is the smallest step there is).
        tree.increment(k, k1, inc);
        stepper.do_step(problem, trial, t, h, inc);
        error = all_finite(trial) ? 0.0 : std::numeric_limits<double>::infinity();
      }
    }
    if (error <= 1.0) {
      x = trial;
      k = k1;
      if (k == limit) ++next_stop;
      ++result.accepted;
      result.last_dt = h;
      obs(std::as_const(x), t1);
      const double e = std::max(error, 1e-4);
      const double factor = std::clamp(options.safety * std::pow(e, -beta1) * std::pow(previous_error, beta2),
                                       options.min_factor, options.max_factor);
      previous_error = e;
      dt = std::clamp(dt * factor, dt_min, dt_max);
    } else {
      ++result.rejected;
      if (h <= dt_min * (1 + 1e-12) || k1 == k + 1) {
        result.stop = std::isfinite(error) ? AdaptiveStop::dt_min : AdaptiveStop::non_finite;
        break;
      }
      const double factor = std::isfinite(error)
                                ? std::clamp(options.safety * std::pow(error, -beta1), options.min_factor, 1.0)
                                : options.min_factor;
      // Shrink from the step actually tried, so a rejection always shortens the next attempt.
      dt = std::clamp(std::min(dt, h) * factor, dt_min, dt_max);
    }
  }
  result.t = tree.time_of(k);
  return result;
}

}  // namespace sdekit
