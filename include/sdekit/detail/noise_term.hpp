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

}  // namespace sdekit::detail
