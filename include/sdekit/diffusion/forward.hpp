#pragma once
// Forward processes of score-based diffusion models: linear SDEs dx = f(t) x dt + g(t) dW that carry data to
// noise. Their transition p_t(x | x0) = N(a_t x0, σ_t² I) is known in closed form, which is what samplers and
// exact scores need. Defaults are those of Song et al. 2021 ("Score-based generative modeling through SDEs").
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/state.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sdekit {

/// β(t) = β_min + t (β_max − β_min) / T, the linear schedule of VP and sub-VP SDEs (Song et al. 2021).
struct LinearBeta {
  double beta_min = 0.1;   ///< β(0)
  double beta_max = 20.0;  ///< β(T)
  double T = 1.0;          ///< end time
  /// β(t).
  double beta(double t) const { return beta_min + t / T * (beta_max - beta_min); }
  /// ∫₀ᵗ β(s) ds.
  double integral(double t) const { return beta_min * t + 0.5 * t * t / T * (beta_max - beta_min); }
};

/// A user-supplied β(t) ≥ 0 on [0, T], integrated numerically (composite 5-point Gauss–Legendre on 64 panels,
/// exact for polynomials up to degree 9 and accurate to ~1e-12 for smooth schedules).
template <class Beta>
struct CustomBeta {
  Beta beta_function;  ///< β(t)
  double T = 1.0;      ///< end time
  /// β(t).
  double beta(double t) const { return beta_function(t); }
  /// ∫₀ᵗ β(s) ds.
  double integral(double t) const {
    static constexpr std::array<double, 5> node{0.0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640,
                                                0.9061798459386640};
    static constexpr std::array<double, 5> weight{0.5688888888888889, 0.4786286704993665, 0.4786286704993665,
                                                  0.2369268850561891, 0.2369268850561891};
    constexpr int panels = 64;
    const double h = t / panels;
    double sum = 0.0;
    for (int p = 0; p < panels; ++p) {
      const double mid = (p + 0.5) * h;
      for (std::size_t q = 0; q < 5; ++q) sum += weight[q] * beta_function(mid + 0.5 * h * node[q]);
    }
    return 0.5 * h * sum;
  }
};

namespace detail {
inline void check_end_time(double T, std::string_view where) {
  require(std::isfinite(T) && T > 0, where, "T", T, "must be positive and finite");
}
/// Checks a custom β(t) on 1025 evenly spaced times of [0, T] (cheap, once per process): a negative or non-finite
/// β would make every particle fail later, so it is refused here naming the first time where it is wrong.
template <class Schedule>
void check_custom_beta(const Schedule& b, std::string_view where) {
  check_end_time(b.T, where);
  constexpr int points = 1024;
  for (int k = 0; k <= points; ++k) {
    const double t = b.T * k / points;
    const double value = b.beta(t);
    if (!(std::isfinite(value) && value >= 0))
      throw_invalid(where, "beta(t)", value, "must be finite and >= 0 on [0, T]; it is not at t = " + to_text(t));
  }
}
inline void check_linear_beta(const LinearBeta& b, std::string_view where) {
  check_end_time(b.T, where);
  require(std::isfinite(b.beta_min) && b.beta_min >= 0, where, "beta_min", b.beta_min, "must be finite and >= 0");
  require(std::isfinite(b.beta_max) && b.beta_max > 0, where, "beta_max", b.beta_max, "must be positive and finite");
  require(b.beta_max >= b.beta_min, where, "beta_min", b.beta_min, "must not exceed beta_max = " + to_text(b.beta_max));
}

}  // namespace detail

/// Common part of the linear forward processes: f(x,t) = f(t)·x, g(t), the transition p_t(x|x0) = N(a_t x0, σ_t² I)
/// and the exact transition between two times. Derived classes (CRTP) supply drift_coefficient, g,
/// mean_coefficient, marginal_std, prior_std and end_time.
template <class Derived>
class LinearForwardProcess {
 public:
  /// f(x, t) = f(t)·x.
  template <class X>
  X drift(const X& x, double t) const {
    return self().drift_coefficient(t) * x;
  }
  /// A sample of p_t(x | x0) = N(a_t x0, σ_t² I).
  template <class X>
  X sample_marginal(const X& x0, double t, RandomStream& rng) const {
    return self().mean_coefficient(t) * x0 + self().marginal_std(t) * detail::standard_normal_state(rng, x0);
  }
  /// A sample of the prior N(0, prior_std² I) with the shape of `like` (fixed-size: any value will do).
  template <class X>
  X sample_prior(RandomStream& rng, const X& like) const {
    return self().prior_std() * detail::standard_normal_state(rng, like);
  }
  /// The prior as an ensemble sampler x0(i, rng) for states of type X (double, fixed-size Eigen vector, or
  /// Eigen::VectorXd of `dimension` components), e.g. vp.prior_sampler<Eigen::Vector2d>().
  template <class X>
  auto prior_sampler(std::size_t dimension = 1) const {
    constexpr bool is_dynamic = [] {
      if constexpr (std::is_same_v<X, double>) return false;
      else return X::RowsAtCompileTime == Eigen::Dynamic;
    }();
    if constexpr (is_dynamic)
      detail::require(dimension >= 1, "sdekit::prior_sampler", "dimension", dimension, "must be at least 1");
    const X like = make_state<X>(dimension);
    const double s = self().prior_std();
    return [s, like](std::size_t, RandomStream& rng) { return X(s * detail::standard_normal_state(rng, like)); };
  }
  /// The exact one-step transition from time s < t: x_t = α x_s + G z with α = a_t/a_s, G² = σ_t² − α² σ_s².
  std::pair<double, double> transition(double s, double t) const {
    const double alpha = self().mean_coefficient(t) / self().mean_coefficient(s);
    const double ss = self().marginal_std(s), st = self().marginal_std(t);
    return {alpha, std::sqrt(std::max(0.0, st * st - alpha * alpha * ss * ss))};
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

/// Variance-preserving SDE dx = −½β(t) x dt + √β(t) dW: a_t = exp(−½∫β), σ_t² = 1 − exp(−∫β); prior N(0, I).
template <class Schedule = LinearBeta>
class VpSde : public LinearForwardProcess<VpSde<Schedule>> {
 public:
  /// With the schedule's β(t) (defaults: β_min 0.1, β_max 20, T = 1).
  explicit VpSde(Schedule schedule = {}) : schedule_(std::move(schedule)) {
    if constexpr (std::is_same_v<Schedule, LinearBeta>) detail::check_linear_beta(schedule_, "sdekit::VpSde");
    else detail::check_custom_beta(schedule_, "sdekit::VpSde");
  }
  double end_time() const { return schedule_.T; }                                                 ///< T
  double beta(double t) const { return schedule_.beta(t); }                                       ///< β(t)
  double drift_coefficient(double t) const { return -0.5 * schedule_.beta(t); }                   ///< f(t) = −½β(t)
  double g(double t) const { return std::sqrt(schedule_.beta(t)); }                               ///< g(t) = √β(t)
  double mean_coefficient(double t) const { return std::exp(-0.5 * schedule_.integral(t)); }      ///< a_t
  double marginal_std(double t) const { return std::sqrt(-std::expm1(-schedule_.integral(t))); }  ///< σ_t
  double prior_std() const { return 1.0; }                                                        ///< std of the prior
  const Schedule& schedule() const { return schedule_; }                                          ///< the β schedule

 private:
  Schedule schedule_;
};

/// Sub-VP SDE dx = −½β x dt + √(β(1 − e^{−2∫β})) dW: a_t = exp(−½∫β), σ_t = 1 − exp(−∫β); prior N(0, I).
template <class Schedule = LinearBeta>
class SubVpSde : public LinearForwardProcess<SubVpSde<Schedule>> {
 public:
  /// With the schedule's β(t) (defaults: β_min 0.1, β_max 20, T = 1).
  explicit SubVpSde(Schedule schedule = {}) : schedule_(std::move(schedule)) {
    if constexpr (std::is_same_v<Schedule, LinearBeta>) detail::check_linear_beta(schedule_, "sdekit::SubVpSde");
    else detail::check_custom_beta(schedule_, "sdekit::SubVpSde");
  }
  double end_time() const { return schedule_.T; }                                ///< T
  double beta(double t) const { return schedule_.beta(t); }                      ///< β(t)
  double drift_coefficient(double t) const { return -0.5 * schedule_.beta(t); }  ///< f(t) = −½β(t)
  /// g(t) = √(β(t)(1 − e^{−2∫β}))
  double g(double t) const { return std::sqrt(schedule_.beta(t) * -std::expm1(-2.0 * schedule_.integral(t))); }
  double mean_coefficient(double t) const { return std::exp(-0.5 * schedule_.integral(t)); }  ///< a_t
  double marginal_std(double t) const { return -std::expm1(-schedule_.integral(t)); }         ///< σ_t
  double prior_std() const { return 1.0; }                                                    ///< std of the prior
  const Schedule& schedule() const { return schedule_; }                                      ///< the β schedule

 private:
  Schedule schedule_;
};

/// Variance-exploding SDE dx = σ(t)√(2 ln(σ_max/σ_min)) dW with σ(t) = σ_min (σ_max/σ_min)^{t/T}: a_t = 1 and the
/// exact σ_t² = σ(t)² − σ_min² (Song et al.'s code uses σ(t), i.e. treats the data as already blurred by σ_min);
/// prior N(0, σ_max² I).
class VeSde : public LinearForwardProcess<VeSde> {
 public:
  /// σ_min < σ_max, both positive (defaults 0.01 and 50), end time T.
  explicit VeSde(double sigma_min = 0.01, double sigma_max = 50.0, double T = 1.0)
      : sigma_min_(sigma_min), sigma_max_(sigma_max), T_(T) {
    constexpr const char* where = "sdekit::VeSde";
    detail::check_end_time(T, where);
    detail::require(std::isfinite(sigma_min) && sigma_min > 0, where, "sigma_min", sigma_min,
                    "must be positive and finite");
    detail::require(std::isfinite(sigma_max), where, "sigma_max", sigma_max, "must be finite");
    detail::require(sigma_min < sigma_max, where, "sigma_min", sigma_min,
                    "must be below sigma_max = " + detail::to_text(sigma_max));
    log_ratio_ = std::log(sigma_max / sigma_min);
  }
  double end_time() const { return T_; }                                               ///< T
  double sigma_min() const { return sigma_min_; }                                      ///< σ_min
  double sigma_max() const { return sigma_max_; }                                      ///< σ_max
  double sigma(double t) const { return sigma_min_ * std::exp(log_ratio_ * t / T_); }  ///< σ(t)
  double drift_coefficient(double) const { return 0.0; }                               ///< f = 0
  double g(double t) const { return sigma(t) * std::sqrt(2.0 * log_ratio_ / T_); }     ///< g(t) = √(dσ²/dt)
  double mean_coefficient(double) const { return 1.0; }                                ///< a_t = 1
  /// σ_t = √(σ(t)² − σ_min²).
  double marginal_std(double t) const { return sigma_min_ * std::sqrt(std::expm1(2.0 * log_ratio_ * t / T_)); }
  double prior_std() const { return sigma_max_; }  ///< std of the prior

 private:
  double sigma_min_, sigma_max_, T_, log_ratio_ = 0.0;
};

/// The noise-level parametrisation of Karras et al. 2022 (EDM): x_σ = x0 + σ z, so "time" is σ itself, a_σ = 1,
/// σ_t = t; the probability-flow ODE is dx/dσ = −σ ∇log p_σ(x). Scores for it are called as s(x, σ).
struct SigmaProcess {
  double mean_coefficient(double) const { return 1.0; }      ///< a_σ = 1
  double marginal_std(double sigma) const { return sigma; }  ///< σ_t = σ
};

/// The VP SDE of any β(t) ≥ 0 on [0, T]: dx = −½β(t)x dt + √β(t) dW.
template <class Beta>
VpSde<CustomBeta<Beta>> make_vp_sde(Beta beta, double T = 1.0) {
  return VpSde<CustomBeta<Beta>>(CustomBeta<Beta>{std::move(beta), T});
}

/// The sub-VP SDE of any β(t) ≥ 0 on [0, T].
template <class Beta>
SubVpSde<CustomBeta<Beta>> make_sub_vp_sde(Beta beta, double T = 1.0) {
  return SubVpSde<CustomBeta<Beta>>(CustomBeta<Beta>{std::move(beta), T});
}

namespace detail {
/// Throws unless 0 < epsilon < T.
inline void check_epsilon(double epsilon, double T, std::string_view where) {
  require(std::isfinite(epsilon) && epsilon > 0 && epsilon < T, where, "epsilon", epsilon,
          "must lie in (0, T) = (0, " + to_text(T) + ")");
}
}  // namespace detail

}  // namespace sdekit
