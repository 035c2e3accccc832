#pragma once
// b(x,t)·dW for each noise kind: a product of scalars, a componentwise product, or a matrix–vector product.
#include <sdekit/core/problem.hpp>

namespace sdekit::detail {

/// The diffusion term b·dW of one step, as a value of the state's type.
template <class X, class B, class Inc>
X noise_term(const B& b, const Inc& dW) {
  if constexpr (std::is_arithmetic_v<B> && std::is_arithmetic_v<Inc>) return b * dW;
  else if constexpr (B::ColsAtCompileTime == 1 && !std::is_arithmetic_v<X>) return b.cwiseProduct(dW);
  else return b * dW;
}

/// b·dW into out, which keeps its memory from step to step (no allocation once sized): the same arithmetic as
/// noise_term, so the bits are the same.
template <class X, class B, class Inc>
void noise_term_into(const B& b, const Inc& dW, X& out) {
  if constexpr (B::ColsAtCompileTime == 1) out = b.cwiseProduct(dW);
  else out.noalias() = b * dW;
}

/// Buffers a stepper keeps for dynamic-size states: the states and diffusion values of one step, each thread its
/// own, allocated at the first step (and when the state size changes), never per step. Keyed by the stepper, the
/// problem, the state and a slot, so no two uses share one (a problem's functor cannot step its own problem type).
template <class Stepper, class P, class X, class Buffers>
Buffers& step_buffers() {
  thread_local Buffers buffers;
  return buffers;
}

/// True when a stepper keeps its temporaries in step_buffers: states or diffusion values of dynamic size, which
/// would otherwise allocate at every step.
template <class P, class X>
inline constexpr bool uses_step_buffers_v = has_dynamic_size<X>();

}  // namespace sdekit::detail
