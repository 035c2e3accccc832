#pragma once
// What a particle is made of besides its state: its problem (one shared, or one per particle with per_particle)
// and the domain it must stay in (AnyState by default).
#include <cstddef>
#include <type_traits>
#include <utility>

namespace sdekit {

/// A domain that contains every state (the default: only non-finite states stop a particle).
struct AnyState {
  /// Always true.
  template <class X>
  constexpr bool operator()(const X&) const {
    return true;
  }
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

/// True for per_particle(factory).
template <class T>
inline constexpr bool is_per_particle_v = false;
template <class F>
inline constexpr bool is_per_particle_v<PerParticle<F>> = true;

/// The problem type of one particle.
template <class Problem>
struct particle_problem {
  using type = Problem;
};
template <class F>
struct particle_problem<PerParticle<F>> {
  using type = std::invoke_result_t<const F&, std::size_t>;
};

}  // namespace detail
}  // namespace sdekit
