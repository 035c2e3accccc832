#pragma once
// The nonlinear discrete-time process x_t = f(x_{t−1}) + ε_t for any functor f (called as f(x) or f(x, t)), with
// Gaussian noise of a fixed scale, Gaussian noise of a state-dependent scale σ(x_{t−1}), or any noise the user
// draws from the particle's RandomStream. Run ensembles of it with simulate_discrete_process.
#include <sdekit/discrete/discrete_time.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/state.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace sdekit {

/// Gaussian noise of a state-dependent scale: ε_t = σ(x_{t−1}) ⊙ z_t (σ returns a double or a per-component vector).
template <class Scale>
struct GaussianScale {
  Scale scale;  ///< σ(x), called on the previous state
};

/// Noise ε_t = noise(x_{t−1}, rng) drawn by the user from the particle's RandomStream.
template <class Noise>
struct CustomNoise {
  Noise draw;  ///< draw(x_previous, rng) returns ε of the state's type
};

/// ε_t = σ(x_{t−1}) ⊙ z_t, z_t standard normal per component.
template <class Scale>
GaussianScale<Scale> gaussian_scale(Scale scale) {
  return {std::move(scale)};
}

/// ε_t = draw(x_{t−1}, rng), any distribution.
template <class Noise>
CustomNoise<Noise> custom_noise(Noise draw) {
  return {std::move(draw)};
}

/// x_t = f(x_{t−1}) + ε_t; Noise is a double (fixed σ), GaussianScale or CustomNoise.
template <class F, class Noise>
class NonlinearProcess {
 public:
  /// The process with map f and noise.
  NonlinearProcess(F f, Noise noise) : f_(std::move(f)), noise_(std::move(noise)) {
    if constexpr (std::is_arithmetic_v<Noise>)
      detail::require(std::isfinite(noise_) && noise_ >= 0, "sdekit::NonlinearProcess", "sigma", noise_,
                      "must be non-negative and finite");
  }

  /// The map f at state x and time t (the time being reached).
  template <class X>
  auto map(const X& x, std::int64_t t) const {
    if constexpr (std::is_invocable_v<const F&, const X&, std::int64_t>) return f_(x, t);
    else return f_(x);
  }

  /// One step: x ← f(x) + ε, ε drawn from the particle's stream.
  template <class X>
  void step(X& x, std::int64_t t, RandomStream& rng) const {
    static_assert(std::is_invocable_v<const F&, const X&> || std::is_invocable_v<const F&, const X&, std::int64_t>,
                  "sdekit::NonlinearProcess: f must be callable as f(x) or f(x, t) with x a state");
    if constexpr (std::is_arithmetic_v<Noise>) {
      x = map(x, t);
      add_scaled_normals(x, noise_, rng);
    } else if constexpr (requires { noise_.scale; }) {
      const auto sigma = noise_.scale(x);  // the scale belongs to the previous state
      x = map(x, t);
      add_scaled_normals(x, sigma, rng);
    } else {
      static_assert(std::is_invocable_v<const decltype(noise_.draw)&, const X&, RandomStream&>,
                    "sdekit::NonlinearProcess: custom noise must be callable as draw(x_previous, rng)");
      auto eps = noise_.draw(x, rng);
      x = map(x, t);
      x += eps;
    }
  }

 private:
  template <class X, class S>
  static void add_scaled_normals(X& x, const S& sigma, RandomStream& rng) {
    if constexpr (std::is_arithmetic_v<X>) {
      x += sigma * rng.normal();
    } else {
      for (Eigen::Index c = 0; c < x.size(); ++c) {
        if constexpr (std::is_arithmetic_v<S>) x[c] += sigma * rng.normal();
        else x[c] += sigma[c] * rng.normal();
      }
    }
  }

  F f_;
  Noise noise_;
};

/// x_t = f(x_{t−1}) + σ z_t with a fixed σ (per component for vector states).
template <class F>
NonlinearProcess<F, double> make_nonlinear_process(F f, double sigma) {
  return {std::move(f), sigma};
}

/// x_t = f(x_{t−1}) + ε_t with ε from gaussian_scale(σ(x)) or custom_noise(draw).
template <class F, class Noise>
  requires(!std::is_arithmetic_v<Noise>)
NonlinearProcess<F, Noise> make_nonlinear_process(F f, Noise noise) { return {std::move(f), std::move(noise)}; }

}  // namespace sdekit
