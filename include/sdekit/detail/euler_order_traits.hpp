#pragma once
// The stepper traits of the schemes whose orders are Euler–Maruyama's (the θ-method, IMEX Euler–Maruyama, split-step
// backward Euler, tamed Euler–Maruyama): strong order ½ (1 with additive noise), weak order 1, Itô problems (and
// Stratonovich ones with additive noise, where the calculi agree), ΔW only. A scheme inherits them.
#include <sdekit/core/stepper.hpp>

namespace sdekit::detail {

/// Euler–Maruyama's traits, inherited by schemes of the same orders and scope.
struct EulerOrderTraits {
  /// Strong order on problem P: 1.0 when its noise is declared additive, 0.5 otherwise.
  template <class P, class X>
  static constexpr double strong_order() {
    return P::is_additive ? 1.0 : 0.5;
  }
  /// Weak order.
  template <class P, class X>
  static constexpr double weak_order() {
    return 1.0;
  }
  /// Itô problems of any noise kind; Stratonovich ones only with additive noise.
  template <class P, class X>
  static constexpr Support supports() {
    return !P::is_stratonovich || P::is_additive ? Support::yes : Support::ito_only;
  }
  /// ΔW only.
  template <class P, class X>
  static constexpr NoiseInformation noise_information() {
    return NoiseInformation::wiener;
  }
};

}  // namespace sdekit::detail
