#pragma once
// The stepper contract. A stepper is a class with
//   do_step(problem, x, t, h, inc)              advance x in place from t to t + h given the step's noise increment
// (and optionally do_step(problem, x, t, h, inc, SqrtStep{√h}), the same step with √h computed by the caller)
// and four traits, each a static constexpr member function template of the problem type P and the state type X (the
// pair fixes the noise kind, on which orders and needs depend):
//   strong_order<P, X>(), weak_order<P, X>()   the orders on P, honestly (Euler–Maruyama is strong order 1 on
//                                                additive noise, 0.5 otherwise)
//   supports<P, X>()                            Support::yes, or the reason it cannot integrate P
//   noise_information<P, X>()                   the Brownian information it needs (core/increment.hpp)
// A stepper never draws random numbers: the increment comes from outside (GaussianNoise, BrownianPath, the ensemble
// engine, a user's source), filled to the type increment_t<S, P, X>, which carries exactly what the stepper asks for.
// This mirrors StochasticDiffEq's alg_order / alg_compatible / alg_needs_extra_process and diffrax's
// strong_order / minimal_levy_area.
#include <sdekit/core/increment.hpp>
#include <sdekit/core/problem.hpp>

#include <concepts>
#include <cstdint>

namespace sdekit {

/// Whether a stepper can integrate a problem, and if not, why; check_stepper turns each reason into one message.
enum class Support {
  yes,                            ///< supported
  ito_only,                       ///< the scheme converges to the Itô solution (Stratonovich only with additive noise)
  stratonovich_only,              ///< the scheme converges to the Stratonovich solution (Itô only with additive noise)
  commutative_noise_only,         ///< general n×m noise must be declared commutative (or additive)
  scalar_or_diagonal_noise_only,  ///< the scheme is written for scalar and diagonal noise
  additive_noise_only,            ///< the scheme assumes b independent of x (declare sdekit::additive)
  derivative_needs_scalar_or_diagonal_noise,  ///< an analytic ∂b/∂x is used for scalar and diagonal noise only
};

/// The embedded error estimate of one step of a scheme that has one (Rößler's SRIW1, SRA1 and SRA3), in two parts:
/// `drift` (E₁, h times the sum of the first drift stages) and `diffusion` (E₂, the terms of the step in I_(1,0) and
/// I_(1,1,1), which a lower-order scheme would drop). integrate_adaptive (core/adaptive.hpp) combines them as
/// δ E₁ + E₂ per component (Rackauckas & Nie 2017; StochasticDiffEq.jl's default δ for SRIW1 is 1/6).
template <class X>
struct ErrorEstimate {
  X drift{};      ///< E₁
  X diffusion{};  ///< E₂
  /// h Σ α_i a_i − h a₁: the scheme's drift part minus Euler's, a local error estimate of the drift (O(h²) for a
  /// smooth drift) where E₁ is its size; what integrate_adaptive uses with DriftErrorEstimate::euler_difference.
  X drift_difference{};
};

/// √h of a step, computed once by a caller that advances many particles with the same h (the ensemble engine) and
/// handed to steppers that offer do_step(problem, x, t, h, inc, SqrtStep{√h}), so √h is not recomputed per
/// particle. std::sqrt is correctly rounded, so the bits are those of the five-argument do_step.
struct SqrtStep {
  double value;  ///< √h
};

/// The strong order of stepper S on problem P with states X.
template <class S, class P, class X>
inline constexpr double strong_order_v = S::template strong_order<P, X>();
/// The weak order of stepper S on problem P with states X.
template <class S, class P, class X>
inline constexpr double weak_order_v = S::template weak_order<P, X>();
/// The Brownian information stepper S needs per step on problem P with states X.
template <class S, class P, class X>
inline constexpr NoiseInformation noise_information_v = S::template noise_information<P, X>();
/// Whether stepper S supports problem P on states X.
template <class S, class P, class X>
inline constexpr Support support_v = S::template supports<P, X>();

/// The increment type stepper S takes for problem P on states X: the plain Wiener increment (double or vector) for
/// schemes that need ΔW only, TimeIntegralIncrement or LevyAreaIncrement for those that need more.
template <class S, class P, class X>
using increment_t = increment_for_t<noise_information_v<S, P, X>, P, X>;

/// S declares the stepper traits for problem P on states X.
template <class S, class P, class X>
concept StepperTraits = requires {
  { S::template strong_order<P, X>() } -> std::convertible_to<double>;
  { S::template weak_order<P, X>() } -> std::convertible_to<double>;
  { S::template supports<P, X>() } -> std::same_as<Support>;
  { S::template noise_information<P, X>() } -> std::same_as<NoiseInformation>;
};

/// True when stepper S supports problem P on states X.
template <class S, class P, class X>
inline constexpr bool supported_v = support_v<S, P, X> == Support::yes;

/// S has do_step(problem, x, t, h, increment) for its increment type on P and X.
template <class S, class P, class X>
concept SteppingCall = requires(const S& s, const P& p, X& x, double t, double h, const increment_t<S, P, X>& inc) {
  s.do_step(p, x, t, h, inc);
};

/// S offers the optional do_step(problem, x, t, h, inc, SqrtStep) for problem P on states X.
template <class S, class P, class X>
concept SteppingCallWithRoot = requires(const S& s, const P& p, X& x, double t, double h,
                                        const increment_t<S, P, X>& inc, SqrtStep root) {
  s.do_step(p, x, t, h, inc, root);
};

/// S is a stepper that can advance states X of problem P: it declares the traits, supports P, and has
/// do_step(problem, x, t, h, increment). For requires clauses; check_stepper says what is missing.
template <class S, class P, class X>
concept Stepper = SdeProblem<P, X> && StepperTraits<S, P, X> && supported_v<S, P, X> && SteppingCall<S, P, X>;

/// True when stepper S declares `static constexpr bool takes_in_place_functors = true`: it evaluates the drift and
/// diffusion through detail::drift_into / diffusion_into (core/problem.hpp), so problems written in place work.
template <class S>
inline constexpr bool takes_in_place_functors_v = [] {
  if constexpr (requires { S::takes_in_place_functors; }) return bool(S::takes_in_place_functors);
  else return false;
}();

namespace detail {
/// The static_asserts of check_stepper on supports<P, X>(), one per Support reason (shared with
/// check_block_stepper).
template <class S, class P, class X>
constexpr bool check_support() {
  using enum Support;
  {
    constexpr Support support = support_v<S, P, X>;
    static_assert(support != ito_only,
                  "sdekit: this stepper integrates Itô SDEs only (supports<P, X>() is Support::ito_only); for a "
                  "Stratonovich problem use sdekit::StochasticHeun or sdekit::Milstein (or convert the drift to Itô "
                  "form)");
    static_assert(support != stratonovich_only,
                  "sdekit: this stepper converges to the Stratonovich solution (supports<P, X>() is "
                  "Support::stratonovich_only); declare the problem with sdekit::stratonovich, or use "
                  "sdekit::EulerMaruyama or sdekit::Milstein for an Itô problem");
    static_assert(support != commutative_noise_only,
                  "sdekit: this stepper needs commutative noise for an n×m diffusion (supports<P, X>() is "
                  "Support::commutative_noise_only): with non-commuting columns it would need Lévy areas. If "
                  "L^j b^k = L^k b^j holds, declare it with make_sde(a, b, sdekit::commutative); otherwise use "
                  "sdekit::EulerMaruyama (Itô, strong order 0.5) or sdekit::StochasticHeun (Stratonovich, strong "
                  "order 0.5 on such noise)");
    static_assert(support != scalar_or_diagonal_noise_only,
                  "sdekit: this stepper is written for scalar and diagonal noise (supports<P, X>() is "
                  "Support::scalar_or_diagonal_noise_only)");
    static_assert(support != additive_noise_only,
                  "sdekit: this stepper assumes additive noise (supports<P, X>() is Support::additive_noise_only); "
                  "declare it with make_sde(a, b, sdekit::additive) if b does not depend on x");
    static_assert(support != derivative_needs_scalar_or_diagonal_noise,
                  "sdekit: this stepper takes an analytic diffusion derivative for scalar and diagonal noise only "
                  "(supports<P, X>() is Support::derivative_needs_scalar_or_diagonal_noise)");
    return support == yes;
  }
}
/// True when S declares its traits for P on X; otherwise a static_assert saying what a stepper declares. Shared by
/// check_stepper and check_block_stepper.
template <class S, class P, class X>
constexpr bool check_traits() {
  static_assert(StepperTraits<S, P, X>,
                "sdekit: a stepper declares static constexpr strong_order<P, X>(), weak_order<P, X>(), "
                "supports<P, X>() (a sdekit::Support) and noise_information<P, X>() (a sdekit::NoiseInformation); "
                "see <sdekit/core/stepper.hpp>");
  return StepperTraits<S, P, X>;
}

}  // namespace detail

/// Compile-time check that stepper S can integrate problem P on states X: the problem first (check_problem), then
/// the traits, then supports<P, X>() — each failure one static_assert that says what is wrong and what to use.
template <class S, class P, class X>
constexpr bool check_stepper() {
  if constexpr (!check_problem<P, X>()) {
    return false;
  } else if constexpr (!StepperTraits<S, P, X>) {
    return detail::check_traits<S, P, X>();
  } else if constexpr (batched_problem_v<P, X>) {
    static_assert(!batched_problem_v<P, X>,
                  "sdekit: a batched problem (functors on a sdekit::StateBlock of particles) is stepped a block at a "
                  "time, by sdekit::simulate_ensemble or sdekit::integrate; do_step takes per-particle problems "
                  "(see <sdekit/core/block_step.hpp>)");
    return false;
  } else if constexpr ((in_place_drift_v<P, X> || in_place_diffusion_v<P, X>)&&!takes_in_place_functors_v<S>) {
    static_assert(takes_in_place_functors_v<S>,
                  "sdekit: this stepper calls a(x, t) and b(x, t) by value; in-place functors a(x, t, out) and "
                  "b(x, t, out) are taken by sdekit::EulerMaruyama, sdekit::Milstein and sdekit::StochasticHeun");
    return false;
  } else {
    return detail::check_support<S, P, X>();
  }
}

/// True when the noise of problem P on states X is general n×m with columns not known to commute: m > 1 Wiener
/// processes, not declared commutative or additive. Schemes that need commutativity lose order there.
template <class P, class X>
constexpr bool noncommutative_noise() {
  if constexpr (noise_kind_v<P, X> != NoiseKind::general || P::is_commutative || P::is_additive) return false;
  else return diffusion_value_t<P, X>::ColsAtCompileTime != 1;
}

/// Compile-time check that `noise` can fill the increments stepper S takes: noise(step, t, dt, inc).
template <class Noise, class Inc>
constexpr bool check_noise_source() {
  constexpr bool callable = std::is_invocable_v<Noise&, std::uint64_t, double, double, Inc&>;
  static_assert(callable,
                "sdekit: the noise source must be callable as noise(step, t, dt, inc) with inc of the stepper's "
                "increment type sdekit::increment_t<S, P, X>; a stepper that needs I_(1,0) or Lévy areas takes "
                "sdekit::TimeIntegralIncrement / sdekit::LevyAreaIncrement, which GaussianNoise and BrownianPath fill");
  return callable;
}

}  // namespace sdekit
