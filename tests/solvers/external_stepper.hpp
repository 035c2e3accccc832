#pragma once
// A stepper written outside the library, against the public contract only (<sdekit/core/stepper.hpp>): the proof
// that a new scheme is one file. It is Kloeden & Platen's derivative-free strong order 1.5 scheme for autonomous
// scalar SDEs with additive noise (Numerical Solution of SDEs, 1992, eq. 11.2.19):
//   Ȳ± = Y + a h ± b √h
//   Y_{n+1} = Y + b ΔW + [a(Ȳ+) − a(Ȳ−)] I_(1,0) / (2√h) + ¼ [a(Ȳ+) + 2a(Y) + a(Ȳ−)] h
// It needs I_(1,0) = ∫(W_s − W_t) ds besides ΔW, so it declares NoiseInformation::time_integral and receives a
// sdekit::TimeIntegralIncrement<double> from every noise source and from the ensemble engine.
#include <sdekit/core/stepper.hpp>

#include <cmath>

namespace sdekit_test {

//[ external_stepper
/// Kloeden–Platen's explicit order 1.5 scheme for scalar additive noise (test-only).
class AdditiveOrder15 {
 public:
  template <class P, class X>
  static constexpr double strong_order() {
    return 1.5;
  }
  template <class P, class X>
  static constexpr double weak_order() {
    return 2.0;
  }
  template <class P, class X>
  static constexpr sdekit::Support supports() {
    if constexpr (!P::is_additive) return sdekit::Support::additive_noise_only;
    else if constexpr (!std::is_same_v<X, double>) return sdekit::Support::scalar_or_diagonal_noise_only;
    else return sdekit::Support::yes;
  }
  template <class P, class X>
  static constexpr sdekit::NoiseInformation noise_information() {
    return sdekit::NoiseInformation::time_integral;
  }

  template <class P, class X, class Inc>
  void do_step(const P& problem, X& x, double t, double h, const Inc& inc) const {
    static_assert(sdekit::check_stepper<AdditiveOrder15, P, X>());
    const double a = problem.drift(x, t);
    const double b = problem.diffusion(x, t);
    const double sqrt_h = std::sqrt(h);
    const double a_plus = problem.drift(x + a * h + b * sqrt_h, t);
    const double a_minus = problem.drift(x + a * h - b * sqrt_h, t);
    x += b * inc.dW + (a_plus - a_minus) * inc.I10 / (2.0 * sqrt_h) + 0.25 * (a_plus + 2.0 * a + a_minus) * h;
  }
};
//]

}  // namespace sdekit_test
