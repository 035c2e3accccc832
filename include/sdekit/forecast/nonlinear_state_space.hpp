#pragma once
// Nonlinear state-space SDEs, the "grey-box" models of ctsmr and ctsem: dX = f(X, t) dt + g(X, t) dW (Itô),
// observed as Y_k = h(X(t_k), t_k) + ε_k, ε_k ~ N(0, R), on any increasing times with NaN values missing.
// Two likelihoods: the extended Kalman filter by local linearisation (each sub-step of at most max_step is the
// exact discretisation of the drift linearised at the current mean, so the filter is the exact Kalman filter when
// f and h are linear) and the bootstrap particle filter (Euler–Maruyama sub-steps, counter-based noise: particle
// i's noise at sub-step s is Z(seed, i, s, ·), so the estimate is bitwise the same for any thread count, and the
// same seed is the common random numbers of a fit). Templates, because the user's functors are inlined into the
// particle loop.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/forecast/fit.hpp>
#include <sdekit/forecast/state_space.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit {

/// dX = drift(X, t) dt + diffusion(X, t) dW, Y_k = observation(X(t_k), t_k) + ε_k with ε_k ~ N(0, R), and
/// X(t_0) ~ N(initial_mean, initial_covariance). State is an Eigen column vector (fixed size, e.g.
/// Eigen::Vector2d, keeps the particle loop free of allocations, or Eigen::VectorXd); drift returns a State-shaped
/// vector, diffusion an n × m matrix (m Wiener processes), observation a p-vector or, for p = 1, a double.
template <class State, class Drift, class Diffusion, class Observation>
struct NonlinearSdeModel {
  Drift drift;                         ///< f(x, t)
  Diffusion diffusion;                 ///< g(x, t), n × m
  Observation observation;             ///< h(x, t), p components
  Eigen::MatrixXd R;                   ///< observation noise covariance, p × p (positive definite)
  State initial_mean;                  ///< mean of X(t_0)
  Eigen::MatrixXd initial_covariance;  ///< covariance of X(t_0), n × n (positive semi-definite)
};

/// Builds a NonlinearSdeModel, deducing the functor types.
template <class State, class Drift, class Diffusion, class Observation>
NonlinearSdeModel<State, Drift, Diffusion, Observation> make_nonlinear_sde_model(Drift drift, Diffusion diffusion,
                                                                                 Observation observation,
                                                                                 Eigen::MatrixXd R, State initial_mean,
                                                                                 Eigen::MatrixXd initial_covariance) {
  return {std::move(drift), std::move(diffusion),    std::move(observation),
          std::move(R),     std::move(initial_mean), std::move(initial_covariance)};
}

/// Options of the extended Kalman filter.
struct ExtendedKalmanOptions {
  /// Longest sub-step between observations: the drift is re-linearised at the mean after each (irrelevant for
  /// a linear drift, whose transition is exact over any step).
  double max_step = 0.1;
};

/// What the extended Kalman filter computes at each observation time.
struct ExtendedKalmanResult {
  double log_likelihood = 0.0;                  ///< Gaussian log-likelihood of the observed values
  std::size_t observations = 0;                 ///< observed scalar values (NaN ones not counted)
  std::vector<Eigen::VectorXd> predicted_mean;  ///< approximate E[X(t_k) | Y before t_k]
  std::vector<Eigen::MatrixXd> predicted_cov;   ///< its covariance
  std::vector<Eigen::VectorXd> filtered_mean;   ///< approximate E[X(t_k) | Y up to t_k]
  std::vector<Eigen::MatrixXd> filtered_cov;    ///< its covariance
  /// One-step innovations of the first observed component divided by their predicted sd (NaN where missing).
  std::vector<double> standardised_innovations;
};

/// Options of the bootstrap particle filter.
struct ParticleFilterOptions {
  std::size_t particles = 1000;  ///< N: the estimate's variance falls like 1/N
  std::uint64_t seed = 0;        ///< seed of the initial draws, the Wiener increments and the resampling
  int threads = 0;               ///< OpenMP threads (0: OpenMP's default); does not change the result
  double max_step = 0.1;         ///< longest Euler–Maruyama sub-step between observations
};

/// What the particle filter computes.
struct ParticleFilterResult {
  double log_likelihood = 0.0;                 ///< log of the unbiased likelihood estimate Π_k (1/N) Σ_i w_ik
  std::size_t observations = 0;                ///< observed scalar values
  std::vector<Eigen::VectorXd> filtered_mean;  ///< weighted particle mean at each t_k (before resampling)
  std::vector<double> effective_sample_size;   ///< (Σw)²/Σw² at each t_k (N where nothing was observed)
  std::size_t failed_particles = 0;  ///< particles lost (non-finite state or weight: weight 0), summed over the times
};

namespace detail {

inline constexpr double nonlinear_log_two_pi = 1.8378770664093454836;

/// An observation function's value as a vector (a double is one component).
template <class V>
Eigen::VectorXd observation_vector(const V& v) {
  if constexpr (std::is_arithmetic_v<V>) return Eigen::VectorXd::Constant(1, static_cast<double>(v));
  else return Eigen::VectorXd(v);
}

/// Component j of an observation function's value (a double is component 0).
template <class V>
double observation_component(const V& v, Eigen::Index j) {
  if constexpr (std::is_arithmetic_v<V>) {
    (void)j;
    return static_cast<double>(v);
  } else {
    return v[j];
  }
}

/// Checks the model's sizes and the series; returns (n, m, p).
template <class Model>
std::array<Eigen::Index, 3> validate_nonlinear(const Model& model, std::span<const double> times,
                                               const Eigen::MatrixXd& values, const char* where) {
  const Eigen::Index n = model.initial_mean.size();
  require(n >= 1 && model.initial_mean.allFinite(), where, "model.initial_mean", model.initial_mean,
          "must be finite with at least one component");
  require(model.initial_covariance.rows() == n && model.initial_covariance.cols() == n &&
              model.initial_covariance.allFinite(),
          where, "model.initial_covariance", model.initial_covariance,
          "must be a finite " + std::to_string(n) + " x " + std::to_string(n) + " matrix");
  const auto f0 = model.drift(model.initial_mean, times.empty() ? 0.0 : times[0]);
  require(f0.size() == n, where, "model.drift(x, t).size()", f0.size(),
          "must equal the state dimension " + std::to_string(n));
  const auto g0 = model.diffusion(model.initial_mean, times.empty() ? 0.0 : times[0]);
  require(g0.rows() == n && g0.cols() >= 1, where, "model.diffusion(x, t).rows()", g0.rows(),
          "must equal the state dimension " + std::to_string(n) + " (with at least one column)");
  const Eigen::Index p =
      observation_vector(model.observation(model.initial_mean, times.empty() ? 0.0 : times[0])).size();
  require(model.R.rows() == p && model.R.cols() == p && model.R.allFinite(), where, "model.R.rows()", model.R.rows(),
          "must equal the observed components " + std::to_string(p) + " (R is p x p, finite)");
  require(static_cast<std::size_t>(values.rows()) == times.size(), where, "observations.rows()", values.rows(),
          "must equal times.size() = " + std::to_string(times.size()));
  require(values.cols() == p, where, "observations.cols()", values.cols(),
          "must equal the observed components " + std::to_string(p));
  require(!times.empty(), where, "times.size()", times.size(), "must be at least 1");
  for (std::size_t k = 0; k < times.size(); ++k) {
    require(std::isfinite(times[k]), where, "times[" + std::to_string(k) + "]", times[k], "must be finite");
    if (k > 0)
      require(times[k] > times[k - 1], where, "times[" + std::to_string(k) + "]", times[k],
              "must be greater than times[" + std::to_string(k - 1) + "]");
    for (Eigen::Index j = 0; j < p; ++j)
      require(!std::isinf(values(static_cast<Eigen::Index>(k), j)), where,
              "observations(" + std::to_string(k) + ", " + std::to_string(j) + ")",
              values(static_cast<Eigen::Index>(k), j), "must be finite or NaN (missing)");
  }
  return {n, g0.cols(), p};
}

/// Central-difference Jacobian of v(x) (a vector function) at x; the step ∛ε·max(1, |x_j|) balances truncation
/// against rounding, and a linear v is differentiated exactly up to rounding.
template <class State, class F>
Eigen::MatrixXd numerical_jacobian(const F& v, const State& x, Eigen::Index rows) {
  const Eigen::Index n = x.size();
  Eigen::MatrixXd J(rows, n);
  const double cube_root_eps = 6.0554544523933395e-6;
  for (Eigen::Index j = 0; j < n; ++j) {
    State up = x;
    State down = x;
    const double h = cube_root_eps * std::max(1.0, std::abs(x[j]));
    up[j] += h;
    down[j] -= h;
    J.col(j) = (v(up) - v(down)) / ((up[j] - x[j]) - (down[j] - x[j]));
  }
  return J;
}

/// The rows of `values` row k that are not NaN.
inline std::vector<Eigen::Index> observed_components(const Eigen::MatrixXd& values, Eigen::Index k) {
  std::vector<Eigen::Index> seen;
  for (Eigen::Index j = 0; j < values.cols(); ++j)
    if (!std::isnan(values(k, j))) seen.push_back(j);
  return seen;
}

/// The number of Euler sub-steps over a gap: the gap divided by at most max_step.
inline std::size_t substeps(double gap, double max_step) {
  return static_cast<std::size_t>(std::max(1.0, std::ceil(gap / max_step - 1e-9)));
}

}  // namespace detail

/// The extended Kalman filter of `model` over `observations` (rows: times, columns: the p components, NaN =
/// missing). Prediction: over each sub-step δ ≤ max_step the drift is linearised at the mean m,
/// f(x) ≈ f(m) + F(x − m) (F by central differences), g frozen at g(m), and the resulting linear SDE is discretised
/// exactly (Van Loan, as `discretise`); the update linearises h at the predicted mean. Exact for linear f and h.
template <class State, class Drift, class Diffusion, class Observation>
ExtendedKalmanResult extended_kalman_filter(const NonlinearSdeModel<State, Drift, Diffusion, Observation>& model,
                                            std::span<const double> times, const Eigen::MatrixXd& observations,
                                            const ExtendedKalmanOptions& options = {}) {
  constexpr const char* where = "sdekit::extended_kalman_filter";
  detail::require(options.max_step > 0 && std::isfinite(options.max_step), where, "options.max_step", options.max_step,
                  "must be positive and finite");
  const auto [n, m, p] = detail::validate_nonlinear(model, times, observations, where);
  const double inf = std::numeric_limits<double>::infinity();
  ExtendedKalmanResult out;
  out.standardised_innovations.assign(times.size(), std::numeric_limits<double>::quiet_NaN());
  State mean = model.initial_mean;
  Eigen::MatrixXd P = model.initial_covariance;
  double ll = 0.0;
  LinearSdeModel local;  // the drift linearised at the mean over one sub-step
  local.C = Eigen::MatrixXd::Identity(1, n);
  local.R = Eigen::MatrixXd::Zero(1, 1);
  for (std::size_t k = 0; k < times.size(); ++k) {
    if (k > 0) {
      const double gap = times[k] - times[k - 1];
      const std::size_t steps = detail::substeps(gap, options.max_step);
      const double delta = gap / static_cast<double>(steps);
      for (std::size_t s = 0; s < steps; ++s) {
        const double t = times[k - 1] + static_cast<double>(s) * delta;
        const Eigen::VectorXd f = model.drift(mean, t);
        local.A =
            detail::numerical_jacobian([&](const State& x) { return Eigen::VectorXd(model.drift(x, t)); }, mean, n);
        local.b = f - local.A * Eigen::VectorXd(mean);
        // A plain copy through unaryExpr, which has no packet path: GCC 12 flags Eigen's vectorised copy of a 1×1
        // fixed-size g into a dynamic matrix (-Warray-bounds; the packet loop never runs at size 1).
        local.G = model.diffusion(mean, t).unaryExpr([](double v) { return v; });
        if (!local.A.allFinite() || !local.b.allFinite() || !local.G.allFinite()) {
          out.log_likelihood = -inf;
          return out;
        }
        const Discretisation step = discretise(local, delta);
        mean = State(step.Phi * Eigen::VectorXd(mean) + step.c);
        P = step.Phi * P * step.Phi.transpose() + step.Q;
        P = 0.5 * (P + P.transpose());
      }
    }
    out.predicted_mean.push_back(mean);
    out.predicted_cov.push_back(P);
    const auto k_index = static_cast<Eigen::Index>(k);
    const std::vector<Eigen::Index> seen = detail::observed_components(observations, k_index);
    const auto q = static_cast<Eigen::Index>(seen.size());
    if (q > 0) {
      const double t = times[k];
      const auto h_of = [&](const State& x) { return detail::observation_vector(model.observation(x, t)); };
      const Eigen::VectorXd predicted = h_of(mean);
      const Eigen::MatrixXd H_all = detail::numerical_jacobian(h_of, mean, p);
      Eigen::VectorXd v(q);
      Eigen::MatrixXd H(q, n);
      Eigen::MatrixXd S(q, q);
      for (Eigen::Index i = 0; i < q; ++i) {
        v[i] = observations(k_index, seen[i]) - predicted[seen[i]];
        H.row(i) = H_all.row(seen[i]);
        for (Eigen::Index j = 0; j < q; ++j) S(i, j) = model.R(seen[i], seen[j]);
      }
      S += H * P * H.transpose();
      const Eigen::LLT<Eigen::MatrixXd> llt(S);
      if (llt.info() != Eigen::Success || !S.allFinite()) {
        out.log_likelihood = -inf;
        return out;
      }
      const Eigen::MatrixXd L = llt.matrixL();
      const Eigen::VectorXd w = L.triangularView<Eigen::Lower>().solve(v);
      ll -= 0.5 * (static_cast<double>(q) * detail::nonlinear_log_two_pi + w.squaredNorm()) +
            L.diagonal().array().log().sum();
      if (seen[0] == 0) out.standardised_innovations[k] = v[0] / std::sqrt(S(0, 0));
      const Eigen::MatrixXd K = llt.solve(H * P).transpose();  // P Hᵀ S⁻¹
      mean = State(Eigen::VectorXd(mean) + K * v);
      P = P - K * S * K.transpose();
      P = 0.5 * (P + P.transpose());
      out.observations += static_cast<std::size_t>(q);
    }
    out.filtered_mean.push_back(mean);
    out.filtered_cov.push_back(P);
  }
  (void)m;
  out.log_likelihood = std::isfinite(ll) ? ll : -inf;
  return out;
}

/// The extended Kalman filter of a scalar series (p = 1).
template <class State, class Drift, class Diffusion, class Observation>
ExtendedKalmanResult extended_kalman_filter(const NonlinearSdeModel<State, Drift, Diffusion, Observation>& model,
                                            std::span<const double> times, std::span<const double> values,
                                            const ExtendedKalmanOptions& options = {}) {
  const Eigen::MatrixXd y = Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  return extended_kalman_filter(model, times, y, options);
}

/// The bootstrap particle filter of `model` (Gordon, Salmond & Smith 1993): N particles from the initial law,
/// moved between observations by Euler–Maruyama sub-steps of at most max_step, weighted by the Gaussian
/// observation density, the log of the mean weight added to the log-likelihood, then resampled (systematic).
/// exp(log_likelihood) is an unbiased estimate of the likelihood of the Euler-discretised model. Particle i's
/// Wiener increment at global sub-step s is √δ·Z(seed, i, s, ·) (the library's counter noise; each interval
/// between observations starts at an even s, so one Philox block serves two sub-steps), its initial draw
/// comes from RandomStream(seed, i, 0), the resampling uniform of observation k from RandomStream(seed, k, 1):
/// the result is a pure function of (model, data, seed, N), bitwise equal for any thread count, and a fixed seed
/// gives the common random numbers under which the estimate is a smooth-ish function of the parameters.
template <class State, class Drift, class Diffusion, class Observation>
ParticleFilterResult particle_filter(const NonlinearSdeModel<State, Drift, Diffusion, Observation>& model,
                                     std::span<const double> times, const Eigen::MatrixXd& observations,
                                     const ParticleFilterOptions& options = {}) {
  constexpr const char* where = "sdekit::particle_filter";
  detail::require(options.particles >= 1 && options.particles < (std::size_t{1} << 32), where, "options.particles",
                  options.particles, "must be in [1, 2^32)");
  detail::require(options.max_step > 0 && std::isfinite(options.max_step), where, "options.max_step", options.max_step,
                  "must be positive and finite");
  detail::require(options.threads >= 0 && options.threads <= max_threads, where, "options.threads", options.threads,
                  "must be in [0, " + std::to_string(max_threads) + "]");
  const auto [n, m, p] = detail::validate_nonlinear(model, times, observations, where);
  (void)p;
  const double inf = std::numeric_limits<double>::infinity();
  const std::size_t N = options.particles;
  const auto Nd = static_cast<double>(N);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();

  // Initial law through an LDLT-based square root (a semi-definite covariance, e.g. a known state, is allowed).
  Eigen::MatrixXd root = Eigen::MatrixXd::Zero(n, n);
  {
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(model.initial_covariance);
    detail::require(ldlt.info() == Eigen::Success && ldlt.vectorD().minCoeff() >= -1e-12, where,
                    "model.initial_covariance", model.initial_covariance, "must be positive semi-definite");
    const Eigen::VectorXd d = ldlt.vectorD().cwiseMax(0.0).cwiseSqrt();
    root = ldlt.transpositionsP().transpose() * Eigen::MatrixXd(ldlt.matrixL()) * d.asDiagonal();
  }
  // The observation density's whitening for each pattern of observed components is computed per time below.
  std::vector<State> particles(N, model.initial_mean);
  std::vector<State> next(N, model.initial_mean);
  std::vector<double> log_weight(N, 0.0);
  std::vector<unsigned char> failed(N, 0);
  std::exception_ptr error;

#pragma omp parallel for num_threads(threads) schedule(static) if (N >= 4096)
  for (std::size_t i = 0; i < N; ++i) {
    RandomStream rng(options.seed, i, 0);
    Eigen::VectorXd z(n);
    for (Eigen::Index c = 0; c < n; ++c) z[c] = rng.normal();
    particles[i] = State(Eigen::VectorXd(model.initial_mean) + root * z);
  }

  ParticleFilterResult out;
  std::uint64_t global_step = 0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    const auto k_index = static_cast<Eigen::Index>(k);
    const std::size_t steps = k > 0 ? detail::substeps(times[k] - times[k - 1], options.max_step) : 0;
    const double delta = k > 0 ? (times[k] - times[k - 1]) / static_cast<double>(steps) : 0.0;
    const std::vector<Eigen::Index> seen = detail::observed_components(observations, k_index);
    const auto q = static_cast<Eigen::Index>(seen.size());
    Eigen::VectorXd y(q);
    Eigen::MatrixXd L(q, q);
    double log_norm = 0.0;
    if (q > 0) {
      Eigen::MatrixXd S(q, q);
      for (Eigen::Index i = 0; i < q; ++i) {
        y[i] = observations(k_index, seen[i]);
        for (Eigen::Index j = 0; j < q; ++j) S(i, j) = model.R(seen[i], seen[j]);
      }
      const Eigen::LLT<Eigen::MatrixXd> llt(S);
      detail::require(llt.info() == Eigen::Success, where, "model.R", model.R,
                      "must be positive definite (a particle filter needs observation noise)");
      L = llt.matrixL();
      log_norm = 0.5 * static_cast<double>(q) * detail::nonlinear_log_two_pi + L.diagonal().array().log().sum();
    }
    const double t0 = k > 0 ? times[k - 1] : times[0];
    const double sqrt_delta = std::sqrt(delta);
    // Threads only for enough work: a parallel region per observation costs a barrier, which on busy cores costs
    // far more than a few thousand particle-steps (the result is the same either way).
    const bool parallel = static_cast<double>(N) * static_cast<double>(steps + 1) >= 16384.0;

#pragma omp parallel num_threads(threads) if (parallel)
    {
      Eigen::VectorXd even(m);  // one Philox block gives the normals of two consecutive sub-steps
      Eigen::VectorXd odd(m);
      Eigen::VectorXd r(q);
#pragma omp for schedule(static)
      for (std::size_t i = 0; i < N; ++i) {
        try {
          State& x = particles[i];
          bool finite = !failed[i];
          for (std::size_t s = 0; s < steps && finite; ++s) {
            const double t = t0 + static_cast<double>(s) * delta;
            if (s % 2 == 0)
              standard_normal_pairs(options.seed, i, (global_step + s) / 2, static_cast<std::size_t>(m), even.data(),
                                    odd.data());
            const Eigen::VectorXd& z = s % 2 == 0 ? even : odd;
            const auto f = model.drift(x, t);
            const auto g = model.diffusion(x, t);
            x += f * delta + (g * z) * sqrt_delta;
            finite = x.allFinite();
          }
          double lw = finite ? 0.0 : -inf;
          if (finite && q > 0) {
            const auto hx = model.observation(x, times[k]);
            for (Eigen::Index c = 0; c < q; ++c) r[c] = y[c] - detail::observation_component(hx, seen[c]);
            L.triangularView<Eigen::Lower>().solveInPlace(r);
            lw = -log_norm - 0.5 * r.squaredNorm();
            if (!std::isfinite(lw)) {
              lw = -inf;
              finite = false;
            }
          }
          failed[i] = finite ? 0 : 1;
          log_weight[i] = lw;
        } catch (...) {
#pragma omp critical(sdekit_particle_filter_error)
          if (!error) error = std::current_exception();
        }
      }
    }
    if (error) std::rethrow_exception(error);
    global_step += steps + steps % 2;  // the next interval starts on a fresh pair of sub-steps

    // Log-mean-exp of the weights in index order (the same sum for any thread count).
    double top = -inf;
    for (std::size_t i = 0; i < N; ++i) top = std::max(top, log_weight[i]);
    std::size_t lost = 0;
    for (std::size_t i = 0; i < N; ++i) lost += failed[i];
    out.failed_particles += lost;
    if (top == -inf) {
      out.log_likelihood = -inf;
      return out;
    }
    double sum = 0.0;
    double sum_squares = 0.0;
    Eigen::VectorXd weighted_mean = Eigen::VectorXd::Zero(n);
    for (std::size_t i = 0; i < N; ++i) {
      const double w = std::exp(log_weight[i] - top);
      log_weight[i] = w;  // reused as the normalised-up-to-a-constant weight
      sum += w;
      sum_squares += w * w;
      if (w > 0) weighted_mean += w * Eigen::VectorXd(particles[i]);
    }
    out.filtered_mean.push_back(weighted_mean / sum);
    out.effective_sample_size.push_back(sum * sum / sum_squares);
    if (q == 0 && lost == 0) continue;  // nothing observed, nothing lost: every weight is 1, no resampling
    // A lost particle has weight 0 also between observations (the estimate then still averages over all N).
    out.log_likelihood += top + std::log(sum / Nd);
    out.observations += static_cast<std::size_t>(q);
    // Systematic resampling: one uniform u, particle j ← the one whose cumulative weight first exceeds (j + u)/N.
    RandomStream rng(options.seed, k, 1);
    const double u = rng.uniform();
    double cumulative = 0.0;
    std::size_t source = 0;
    for (std::size_t j = 0; j < N; ++j) {
      const double target = (static_cast<double>(j) + u) / Nd * sum;
      while (source + 1 < N && cumulative + log_weight[source] <= target) {
        cumulative += log_weight[source];
        ++source;
      }
      next[j] = particles[source];
      failed[j] = 0;
    }
    std::swap(particles, next);
  }
  if (!std::isfinite(out.log_likelihood)) out.log_likelihood = -inf;
  return out;
}

/// The particle filter of a scalar series (p = 1).
template <class State, class Drift, class Diffusion, class Observation>
ParticleFilterResult particle_filter(const NonlinearSdeModel<State, Drift, Diffusion, Observation>& model,
                                     std::span<const double> times, std::span<const double> values,
                                     const ParticleFilterOptions& options = {}) {
  const Eigen::MatrixXd y = Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  return particle_filter(model, times, y, options);
}

namespace detail {
/// The number of non-NaN values of a series.
inline std::size_t count_observed(std::span<const double> values) {
  return static_cast<std::size_t>(std::count_if(values.begin(), values.end(), [](double v) { return !std::isnan(v); }));
}
}  // namespace detail

/// Maximum likelihood by the extended Kalman filter: builder(θ) returns a NonlinearSdeModel (throwing
/// std::invalid_argument marks θ as outside the model), maximised over the box of `spec` with the NLopt driver of
/// the other fits. Standard errors from the numerical Hessian; AIC/BIC over the observed values.
template <class Builder>
FitResult fit_nonlinear_ekf(std::span<const double> times, std::span<const double> values, const Builder& builder,
                            const ParameterSpec& spec, const ExtendedKalmanOptions& filter = {},
                            const FitOptions& options = {}) {
  const std::function<double(const Eigen::VectorXd&)> objective = [&](const Eigen::VectorXd& theta) {
    try {
      return extended_kalman_filter(builder(theta), times, values, filter).log_likelihood;
    } catch (const std::invalid_argument&) {
      return -std::numeric_limits<double>::infinity();
    }
  };
  (void)extended_kalman_filter(builder(spec.initial), times, values, filter);  // bad input throws here, named
  FitResult fit = detail::maximise_log_likelihood(objective, spec, detail::count_observed(values), options,
                                                  "sdekit::fit_nonlinear_ekf");
  fit.model = "nonlinear state space (extended Kalman filter)";
  return fit;
}

/// Maximum likelihood by the particle filter with common random numbers: every evaluation uses the same seed, so
/// the estimated log-likelihood is a fixed function of θ (with small jumps where resampling picks change) that
/// the derivative-free optimiser can climb. Its maximiser carries Monte Carlo error of order 1/√N; standard errors
/// come from a numerical Hessian of the estimate and are rough (raise `filter.particles` for a smoother surface).
template <class Builder>
FitResult fit_nonlinear_particle(std::span<const double> times, std::span<const double> values, const Builder& builder,
                                 const ParameterSpec& spec, const ParticleFilterOptions& filter = {},
                                 const FitOptions& options = {}) {
  const std::function<double(const Eigen::VectorXd&)> objective = [&](const Eigen::VectorXd& theta) {
    try {
      return particle_filter(builder(theta), times, values, filter).log_likelihood;
    } catch (const std::invalid_argument&) {
      return -std::numeric_limits<double>::infinity();
    }
  };
  (void)particle_filter(builder(spec.initial), times, values, filter);  // bad input throws here, named
  FitResult fit = detail::maximise_log_likelihood(objective, spec, detail::count_observed(values), options,
                                                  "sdekit::fit_nonlinear_particle");
  fit.model = "nonlinear state space (particle filter, " + std::to_string(filter.particles) + " particles)";
  return fit;
}

}  // namespace sdekit
