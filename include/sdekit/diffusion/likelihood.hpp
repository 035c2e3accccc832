#pragma once
// Log-likelihoods of a score-based model by the probability-flow ODE (Song et al. 2021, appendix D.2; the
// instantaneous change of variables of Chen et al. 2018): along dx/dt = f̃(x, t) = f(t)x − ½g(t)² s(x, t),
// d log p_t(x_t)/dt = −∇·f̃, so log p_ε(x) = log p_T(x_T) + ∫_ε^T ∇·f̃(x_t, t) dt, with x_T reached by integrating the
// ODE forward from x at t = ε and p_T taken as the prior N(0, prior_std² I). ∇·f̃ = d f(t) − ½g² ∇·s, where ∇·s is
// computed from the score alone: exactly up to central differences (2d score calls, for small dimension d), or by
// Hutchinson's estimator zᵀ(∇s)z with Rademacher z fixed along the path (2 calls per probe, unbiased, for large d).
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/diffusion/forward.hpp>

#include <boost/numeric/odeint.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace sdekit {

/// How the divergence of the score is computed.
enum class Divergence {
  exact,       ///< Σ_i ∂s_i/∂x_i by central differences along each axis: 2d score calls per evaluation
  hutchinson,  ///< mean over probes of zᵀ(∇s)z, z Rademacher, fixed along the path: 2 calls per probe
};

/// Settings of pf_ode_log_likelihood.
struct LikelihoodOptions {
  double epsilon = 1e-3;                      ///< the time t = ε at which the density is evaluated, in (0, T)
  Divergence divergence = Divergence::exact;  ///< exact (small d) or Hutchinson (large d)
  std::size_t probes = 1;                     ///< Hutchinson probes per evaluation
  std::uint64_t seed = 0;                     ///< seed of the probes (RandomStream(seed, 0, 2))
  double rtol = 1e-8;                         ///< relative tolerance of the adaptive dopri5 integration
  double atol = 1e-8;                         ///< absolute tolerance
  double relative_step = 1e-4;                ///< finite-difference step, relative to max(1, |x|_∞)
  /// log p_T at the end of the path; empty: the prior N(0, prior_std² I), which is p_T only up to the data's
  /// remaining signal a_T (≈ 0.0064 for the default VP SDE, an error of order a_T |x_T| |μ| nats).
  std::function<double(const Eigen::VectorXd&)> prior_log_density = {};
};

/// The log-density estimate and what it cost.
struct LogLikelihood {
  double log_density = 0.0;             ///< log p_ε(x) (nats), including −(d/2) log 2π
  double prior_log_density = 0.0;       ///< log N(x_T; 0, prior_std² I) at the end of the path
  std::uint64_t score_evaluations = 0;  ///< score calls
};

/// log p_ε(x) of the model given by `score` under the linear forward process `forward` (VpSde, SubVpSde, VeSde),
/// at the point x (an Eigen vector), by the probability-flow ODE integrated adaptively from ε to T.
template <class Forward, class Score, class Vector>
LogLikelihood pf_ode_log_likelihood(const Forward& forward, const Score& score, const Vector& x,
                                    const LikelihoodOptions& options = {}) {
  namespace odeint = boost::numeric::odeint;
  constexpr const char* where = "sdekit::pf_ode_log_likelihood";
  const double T = forward.end_time();
  detail::check_epsilon(options.epsilon, T, where);
  detail::require(x.size() >= 1 && x.allFinite(), where, "x", x, "must be non-empty and finite");
  detail::require(std::isfinite(options.rtol) && options.rtol > 0, where, "rtol", options.rtol,
                  "must be positive and finite");
  detail::require(std::isfinite(options.atol) && options.atol > 0, where, "atol", options.atol,
                  "must be positive and finite");
  detail::require(std::isfinite(options.relative_step) && options.relative_step > 0, where, "relative_step",
                  options.relative_step, "must be positive and finite");
  if (options.divergence == Divergence::hutchinson)
    detail::require(options.probes >= 1, where, "probes", options.probes, "must be at least 1");
  const auto d = static_cast<std::size_t>(x.size());
  using V = Eigen::Matrix<double, Vector::RowsAtCompileTime, 1>;
  std::uint64_t calls = 0;
  auto s_of = [&](const V& y, double t) {
    ++calls;
    const V s = score(y, t);
    detail::require(s.size() == y.size() && s.allFinite(), where, "score(x, t)", s,
                    "must be finite with the state's size (at t = " + detail::to_text(t) + ")");
    return s;
  };
  std::vector<V> probes;
  if (options.divergence == Divergence::hutchinson) {
    RandomStream rng(options.seed, 0, 2);
    for (std::size_t p = 0; p < options.probes; ++p) {
      V z(x.size());
      for (Eigen::Index i = 0; i < z.size(); ++i) z[i] = rng.uniform() < 0.5 ? -1.0 : 1.0;
      probes.push_back(z);
    }
  }
  // ∇·s at (y, t): central differences of the score along the axes, or along the probes.
  auto divergence = [&](const V& y, double t) {
    const double delta = options.relative_step * std::max(1.0, y.cwiseAbs().maxCoeff());
    double sum = 0.0;
    if (options.divergence == Divergence::exact) {
      V step = V::Zero(y.size());
      for (Eigen::Index i = 0; i < y.size(); ++i) {
        step[i] = delta;
        sum += (s_of(V(y + step), t)[i] - s_of(V(y - step), t)[i]) / (2.0 * delta);
        step[i] = 0.0;
      }
      return sum;
    }
    for (const V& z : probes) sum += z.dot(s_of(V(y + delta * z), t) - s_of(V(y - delta * z), t)) / (2.0 * delta);
    return sum / static_cast<double>(probes.size());
  };
  // State: x (d components) then ∫ ∇·f̃ dt.
  using State = std::vector<double>;
  auto system = [&](const State& u, State& du, double t) {
    V y(x.size());
    for (std::size_t i = 0; i < d; ++i) y[static_cast<Eigen::Index>(i)] = u[i];
    const double g = forward.g(t), f = forward.drift_coefficient(t);
    const V drift = V(f * y - 0.5 * g * g * s_of(y, t));
    for (std::size_t i = 0; i < d; ++i) du[i] = drift[static_cast<Eigen::Index>(i)];
    du[d] = static_cast<double>(d) * f - 0.5 * g * g * divergence(y, t);
  };
  State u(d + 1, 0.0);
  for (std::size_t i = 0; i < d; ++i) u[i] = x[static_cast<Eigen::Index>(i)];
  auto stepper = odeint::make_controlled(options.atol, options.rtol, odeint::runge_kutta_dopri5<State>());
  odeint::integrate_adaptive(stepper, system, u, options.epsilon, T, 1e-3 * (T - options.epsilon));
  const double prior_std = forward.prior_std();
  Eigen::VectorXd end(x.size());
  for (std::size_t i = 0; i < d; ++i) end[static_cast<Eigen::Index>(i)] = u[i];
  LogLikelihood result;
  if (options.prior_log_density) {
    result.prior_log_density = options.prior_log_density(end);
  } else {
    result.prior_log_density =
        -0.5 * end.squaredNorm() / (prior_std * prior_std) -
        static_cast<double>(d) * (std::log(prior_std) + 0.5 * std::log(2.0 * 3.14159265358979323846));
  }
  result.log_density = result.prior_log_density + u[d];
  result.score_evaluations = calls;
  return result;
}

}  // namespace sdekit
