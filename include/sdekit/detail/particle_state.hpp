#pragma once
// A particle's state in an ensemble: where its initial state comes from, and the one test that decides whether a
// state is still valid (and, if not, the reason recorded for the failed particle).
#include <sdekit/core/noise.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/ensemble/particles.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace sdekit::detail {

/// True when x0 is a sampler x0(i, rng) rather than a state (Eigen vectors are callable too, hence the first test).
template <class Init>
inline constexpr bool is_sampler_v = !StateType<Init> && std::is_invocable_v<const Init&, std::size_t, RandomStream&>;

/// Initial states: a fixed state, or a sampler x0(i, rng) with rng = RandomStream(seed, i, 0).
template <class Init, bool = is_sampler_v<Init>>
struct initial_state {
  using type = Init;
};
template <class Init>
struct initial_state<Init, true> {
  using type = plain_t<std::invoke_result_t<const Init&, std::size_t, RandomStream&>>;
};

/// Particle i's initial state: x0 itself, or x0(i, RandomStream(seed, i, 0)).
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

/// Why a particle with state x must stop: "non-finite state", "left the domain", or nullptr while it is valid.
/// Every per-particle decision of the ensemble engine comes from here, so the reasons are the same everywhere.
template <class X, class Domain>
const char* failure_reason(const X& x, const Domain& inside) {
  if (!all_finite(x)) return "non-finite state";
  if (!inside(x)) return "left the domain";
  return nullptr;
}

/// Why a particle's initial state cannot start (a size other than particle 0's, or a non-finite component), or an
/// empty string. The domain is not checked at the start: a particle leaves it only by a step.
template <class X>
std::string initial_failure(const X& x, std::size_t dimension) {
  if (state_size(x) != dimension)
    return "initial state has " + std::to_string(state_size(x)) + " components, particle 0 has " +
           std::to_string(dimension);
  if (failure_reason(x, AnyState{})) return "non-finite initial state";
  return {};
}

}  // namespace sdekit::detail
