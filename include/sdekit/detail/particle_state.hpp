#pragma once
// A particle's state in an ensemble: where its initial state comes from, and the one test that decides whether a
// state is still valid (and, if not, the reason recorded for the failed particle).
#include <sdekit/core/noise.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/ensemble/particles.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
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

/// Why a particle's initial state cannot start (a size other than the reference particle's, or a non-finite
/// component), or an empty string. The domain is not checked at the start: a particle leaves it only by a step.
template <class X>
std::string initial_failure(const X& x, std::size_t dimension, std::size_t reference) {
  if (state_size(x) != dimension)
    return "initial state has " + std::to_string(state_size(x)) + " components, particle " + std::to_string(reference) +
           " has " + std::to_string(dimension);
  if (failure_reason(x, AnyState{})) return "non-finite initial state";
  return {};
}

/// The message of the exception being handled; for catch (...) blocks.
inline std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

/// "<what_threw> threw: <message of the exception being handled>"; for catch (...) blocks.
inline std::string current_exception_reason(std::string_view what_threw) {
  return std::string(what_threw) + " threw: " + current_exception_message();
}

/// Sets x to particle i's initial state and returns why it cannot start, or an empty string. A sampler that throws
/// fails this particle only (x is then all NaN): one bad draw must not abort the ensemble.
template <class Init, class X>
std::string start_state(const Init& x0, std::uint64_t seed, std::size_t i, std::size_t dimension, std::size_t reference,
                        X& x) {
  try {
    x = make_initial_state(x0, seed, i);
  } catch (...) {
    x = make_state<X>(dimension, std::numeric_limits<double>::quiet_NaN());
    return current_exception_reason("the initial-state sampler");
  }
  return initial_failure(x, dimension, reference);
}

}  // namespace sdekit::detail
