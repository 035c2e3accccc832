#pragma once
// Exact scores ∇log p_t(x) of data pushed through a linear forward process p_t(x | x0) = N(a_t x0, σ_t² I):
// Gaussian data, Gaussian mixtures and finite datasets. They let every sampler be tested against a known
// distribution without a network, and let a user sample from a point cloud. A Process here is anything with
// mean_coefficient(t) = a_t and marginal_std(t) = σ_t: VpSde, SubVpSde, VeSde, SigmaProcess, DdpmSchedule.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/state.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdekit {

namespace detail {

template <int N>
using score_vector_t = Eigen::Matrix<double, N, 1>;

/// A state (double or Eigen vector) as an Eigen vector of N components (N = 1 or dynamic for a double).
template <int N, class X>
score_vector_t<N> as_vector(const X& x) {
  if constexpr (std::is_same_v<X, double>) {
    static_assert(N == 1 || N == Eigen::Dynamic, "sdekit: a scalar state needs a 1-D score (N = 1)");
    return score_vector_t<N>::Constant(1, x);
  } else {
    return x;
  }
}

template <class X, class V>
X from_vector(const V& v) {
  if constexpr (std::is_same_v<X, double>) return v[0];
  else return v;
}

/// Eigen-decomposition Σ = V diag(λ) Vᵀ of a covariance, validated (finite, symmetric, positive semidefinite).
template <int N>
std::pair<Eigen::Matrix<double, N, N>, score_vector_t<N>> decompose_covariance(const Eigen::Matrix<double, N, N>& cov,
                                                                               Eigen::Index dimension,
                                                                               std::string_view where,
                                                                               const std::string& name) {
  require(cov.rows() == dimension && cov.cols() == dimension, where, "rows of " + name, cov.rows(),
          "must equal the dimension " + to_text(dimension) + " (and so must its columns)");
  require(cov.allFinite(), where, name, cov, "must be finite");
  const double scale = cov.cwiseAbs().maxCoeff();
  require((cov - cov.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * scale, where, name, cov, "must be symmetric");
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, N, N>> eig(cov);
  require(eig.eigenvalues().minCoeff() >= -1e-12 * scale, where, "smallest eigenvalue of " + name,
          eig.eigenvalues().minCoeff(), "must be >= 0 (positive semidefinite)");
  return {eig.eigenvectors(), eig.eigenvalues().cwiseMax(0.0)};
}

/// Σ_k w_k v_k / Σ_k w_k with w_k = exp(log_w_k), in one pass: what was accumulated is rescaled whenever a larger
/// log-weight arrives (streaming log-sum-exp), so no weight overflows, and the largest is never lost to underflow.
template <class Vector>
class StreamingSoftmaxAverage {
 public:
  /// An empty average of vectors with `size` components.
  explicit StreamingSoftmaxAverage(Eigen::Index size) : acc_(Vector::Zero(size)) {}
  /// Adds `value` with weight exp(log_weight).
  template <class V>
  void add(double log_weight, const V& value) {
    if (log_weight > max_log_) {
      const double r = std::exp(max_log_ - log_weight);
      sum_ *= r;
      acc_ *= r;
      max_log_ = log_weight;
    }
    const double w = std::exp(log_weight - max_log_);
    sum_ += w;
    acc_ += w * value;
  }
  /// The weighted average.
  Vector average() const { return acc_ / sum_; }

 private:
  double max_log_ = -std::numeric_limits<double>::infinity();
  double sum_ = 0.0;
  Vector acc_;
};

}  // namespace detail

/// The exact score of Gaussian data N(μ, Σ) under `process`: p_t = N(a_t μ, C_t), C_t = a_t² Σ + σ_t² I,
/// s(x, t) = −C_t⁻¹ (x − a_t μ). N is the state dimension (fixed for speed, or Eigen::Dynamic); N = 1 also
/// accepts double states.
template <class Process, int N = Eigen::Dynamic>
class GaussianScore {
 public:
  using Vector = Eigen::Matrix<double, N, 1>;  ///< a state
  using Matrix = Eigen::Matrix<double, N, N>;  ///< a covariance

  /// Data N(mean, covariance); throws for mismatched sizes, non-finite entries, asymmetric or indefinite Σ.
  GaussianScore(Process process, Vector mean, Matrix covariance)
      : process_(std::move(process)), mean_(std::move(mean)), covariance_(std::move(covariance)) {
    constexpr const char* where = "sdekit::GaussianScore";
    detail::require(mean_.size() >= 1 && mean_.allFinite(), where, "mean", mean_, "must be non-empty and finite");
    std::tie(basis_, eigenvalues_) = detail::decompose_covariance<N>(covariance_, mean_.size(), where, "covariance");
  }

  /// s(x, t).
  template <class X>
  X operator()(const X& x, double t) const {
    const double a = process_.mean_coefficient(t), s = process_.marginal_std(t);
    Vector y = basis_.transpose() * (detail::as_vector<N>(x) - a * mean_);
    y.array() /= a * a * eigenvalues_.array() + s * s;
    return detail::from_vector<X>(Vector(-(basis_ * y)));
  }
  /// The mean a_t μ of p_t.
  Vector marginal_mean(double t) const { return process_.mean_coefficient(t) * mean_; }
  /// The covariance C_t = a_t² Σ + σ_t² I of p_t.
  Matrix marginal_covariance(double t) const {
    const double a = process_.mean_coefficient(t), s = process_.marginal_std(t);
    Matrix c = a * a * covariance_;
    c.diagonal().array() += s * s;
    return c;
  }
  /// The probability-flow ODE's exact map from time `from` to time `to`: a_to μ + C_to^{1/2} C_from^{−1/2}(x − a_from
  /// μ) (all C_t share Σ's eigenvectors, so the flow is diagonal in that basis).
  Vector flow_map(const Vector& x, double from, double to) const {
    const double a0 = process_.mean_coefficient(from), s0 = process_.marginal_std(from);
    const double a1 = process_.mean_coefficient(to), s1 = process_.marginal_std(to);
    Vector y = basis_.transpose() * (x - a0 * mean_);
    y.array() *= ((a1 * a1 * eigenvalues_.array() + s1 * s1) / (a0 * a0 * eigenvalues_.array() + s0 * s0)).sqrt();
    return a1 * mean_ + basis_ * y;
  }
  const Vector& mean() const { return mean_; }              ///< μ
  const Matrix& covariance() const { return covariance_; }  ///< Σ
  const Process& process() const { return process_; }       ///< the forward process

 private:
  Process process_;
  Vector mean_;
  Matrix covariance_;
  Matrix basis_;
  Vector eigenvalues_;
};

/// The exact score of a Gaussian mixture Σ_k w_k N(μ_k, Σ_k) under `process`: the component scores weighted by
/// their posterior responsibilities, computed by a streaming log-sum-exp (no overflow, no allocation per call)
/// with the log-determinant of every C_{k,t} kept.
template <class Process, int N = Eigen::Dynamic>
class GaussianMixtureScore {
 public:
  using Vector = Eigen::Matrix<double, N, 1>;  ///< a state
  using Matrix = Eigen::Matrix<double, N, N>;  ///< a covariance

  /// Weights (positive; normalised here), means and covariances, one per component.
  GaussianMixtureScore(Process process, std::vector<double> weights, std::vector<Vector> means,
                       std::vector<Matrix> covariances)
      : process_(std::move(process)), means_(std::move(means)), covariances_(std::move(covariances)) {
    constexpr const char* where = "sdekit::GaussianMixtureScore";
    detail::require(!weights.empty(), where, "weights.size()", weights.size(), "must be at least 1");
    detail::require(means_.size() == weights.size(), where, "means.size()", means_.size(),
                    "must equal weights.size() = " + std::to_string(weights.size()));
    detail::require(covariances_.size() == weights.size(), where, "covariances.size()", covariances_.size(),
                    "must equal weights.size() = " + std::to_string(weights.size()));
    double total = 0.0;
    for (std::size_t k = 0; k < weights.size(); ++k) {
      detail::require(std::isfinite(weights[k]) && weights[k] > 0, where,
                      std::string("weights[").append(std::to_string(k)).append("]"), weights[k],
                      "must be positive and finite");
      total += weights[k];
    }
    const Eigen::Index d = means_[0].size();
    detail::require(d >= 1, where, "means[0].size()", d, "must be at least 1");
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const std::string index = std::string("[").append(std::to_string(k)).append("]");
      detail::require(means_[k].size() == d && means_[k].allFinite(), where, std::string("means").append(index),
                      means_[k], "must be finite with " + std::to_string(d) + " components");
      auto [v, l] =
          detail::decompose_covariance<N>(covariances_[k], d, where, std::string("covariances").append(index));
      basis_.push_back(std::move(v));
      eigenvalues_.push_back(std::move(l));
      log_weights_.push_back(std::log(weights[k] / total));
    }
  }

  /// s(x, t).
  template <class X>
  X operator()(const X& x, double t) const {
    const Vector v = detail::as_vector<N>(x);
    const double a = process_.mean_coefficient(t), s2 = process_.marginal_std(t) * process_.marginal_std(t);
    double max_log = -std::numeric_limits<double>::infinity(), sum = 0.0;
    Vector acc = Vector::Zero(v.size());
    const std::size_t K = log_weights_.size();
    if (K <= small_mixture) {
      // Two passes over a stack buffer: one exp per component, no rescaling.
      std::array<double, small_mixture> log_p;
      for (std::size_t k = 0; k < K; ++k) {
        const auto c = (a * a * eigenvalues_[k].array() + s2).eval();
        const Vector y = basis_[k].transpose() * (v - a * means_[k]);
        log_p[k] = log_weights_[k] - 0.5 * (std::log(c.prod()) + (y.array().square() / c).sum());
        max_log = std::max(max_log, log_p[k]);
      }
      for (std::size_t k = 0; k < K; ++k) {
        const double w = std::exp(log_p[k] - max_log);
        if (w < 1e-300) continue;
        Vector y = basis_[k].transpose() * (v - a * means_[k]);
        y.array() /= a * a * eigenvalues_[k].array() + s2;
        sum += w;
        acc.noalias() -= w * (basis_[k] * y);
      }
      return detail::from_vector<X>(Vector(acc / sum));
    }
    detail::StreamingSoftmaxAverage<Vector> average(v.size());
    for (std::size_t k = 0; k < K; ++k) {
      const auto c = (a * a * eigenvalues_[k].array() + s2).eval();
      Vector y = basis_[k].transpose() * (v - a * means_[k]);
      const double log_p = log_weights_[k] - 0.5 * (std::log(c.prod()) + (y.array().square() / c).sum());
      y.array() /= c;
      average.add(log_p, -(basis_[k] * y));
    }
    return detail::from_vector<X>(average.average());
  }
  /// log p_t(x), including the −(d/2) log 2π term.
  template <class X>
  double log_density(const X& x, double t) const {
    const Vector v = detail::as_vector<N>(x);
    const double a = process_.mean_coefficient(t), s2 = process_.marginal_std(t) * process_.marginal_std(t);
    double max_log = -std::numeric_limits<double>::infinity(), sum = 0.0;
    for (std::size_t k = 0; k < log_weights_.size(); ++k) {
      const auto c = (a * a * eigenvalues_[k].array() + s2).eval();
      const Vector y = basis_[k].transpose() * (v - a * means_[k]);
      const double log_p = log_weights_[k] - 0.5 * (c.log().sum() + (y.array().square() / c).sum());
      if (log_p > max_log) {
        sum *= std::exp(max_log - log_p);
        max_log = log_p;
      }
      sum += std::exp(log_p - max_log);
    }
    return max_log + std::log(sum) - 0.5 * static_cast<double>(v.size()) * std::log(2.0 * 3.14159265358979323846);
  }
  /// An exact sample of the data distribution (t = 0).
  Vector sample_data(RandomStream& rng) const {
    const double u = rng.uniform();
    std::size_t k = 0;
    double cumulative = std::exp(log_weights_[0]);
    while (u > cumulative && k + 1 < log_weights_.size()) cumulative += std::exp(log_weights_[++k]);
    Vector z(means_[k].size());
    for (Eigen::Index i = 0; i < z.size(); ++i) z[i] = std::sqrt(eigenvalues_[k][i]) * rng.normal();
    return means_[k] + basis_[k] * z;
  }
  std::size_t components() const { return log_weights_.size(); }             ///< number of components
  double weight(std::size_t k) const { return std::exp(log_weights_[k]); }   ///< normalised weight of component k
  const Vector& mean(std::size_t k) const { return means_[k]; }              ///< μ_k
  const Matrix& covariance(std::size_t k) const { return covariances_[k]; }  ///< Σ_k
  const Process& process() const { return process_; }                        ///< the forward process

 private:
  Process process_;
  std::vector<Vector> means_;
  std::vector<Matrix> covariances_;
  std::vector<Matrix> basis_;
  std::vector<Vector> eigenvalues_;
  std::vector<double> log_weights_;
  static constexpr std::size_t small_mixture = 32;
};

/// The exact score of a finite dataset {x_i} (the empirical distribution) under `process`: p_t is a mixture of
/// N(a_t x_i, σ_t² I), its score (a_t D(x,t) − x)/σ_t² with the optimal denoiser D(x,t) = E[x0 | x_t = x], a
/// softmax-weighted average of the points. Sampling with it reproduces the points as σ_t → 0.
template <class Process, int N = Eigen::Dynamic>
class DatasetScore {
 public:
  using Vector = Eigen::Matrix<double, N, 1>;               ///< a state
  using Points = Eigen::Matrix<double, N, Eigen::Dynamic>;  ///< the data, one point per column

  /// The points (one per column, at least one, finite).
  DatasetScore(Process process, Points points) : process_(std::move(process)), points_(std::move(points)) {
    constexpr const char* where = "sdekit::DatasetScore";
    detail::require(points_.cols() >= 1, where, "points.cols()", points_.cols(), "must be at least 1");
    detail::require(points_.rows() >= 1, where, "points.rows()", points_.rows(), "must be at least 1");
    detail::require(points_.allFinite(), where, "points", "(matrix)", "must be finite");
  }

  /// The optimal denoiser D(x, t) = E[x0 | x_t = x].
  template <class X>
  X denoise(const X& x, double t) const {
    const Vector v = detail::as_vector<N>(x);
    const double a = process_.mean_coefficient(t), s = process_.marginal_std(t);
    const double inv = -0.5 / (s * s);
    detail::StreamingSoftmaxAverage<Vector> average(v.size());
    for (Eigen::Index i = 0; i < points_.cols(); ++i)
      average.add(inv * (v - a * points_.col(i)).squaredNorm(), points_.col(i));
    return detail::from_vector<X>(average.average());
  }
  /// s(x, t) = (a_t D(x,t) − x)/σ_t².
  template <class X>
  X operator()(const X& x, double t) const {
    const double a = process_.mean_coefficient(t), s = process_.marginal_std(t);
    return (a * denoise(x, t) - x) / (s * s);
  }
  const Points& points() const { return points_; }     ///< the data
  const Process& process() const { return process_; }  ///< the forward process

 private:
  Process process_;
  Points points_;
};

/// A noise predictor ε(x, t) = −σ_t s(x, t) made from a score (what DDPM/DDIM samplers consume).
template <class Score, class Process>
struct NoisePredictorFromScore {
  Score score;      ///< s(x, t)
  Process process;  ///< supplies σ_t
  /// ε(x, t).
  template <class X>
  X operator()(const X& x, double t) const {
    return X(-process.marginal_std(t) * score(x, t));
  }
};

/// A score s(x, t) = −ε(x, t)/σ_t made from a noise predictor (for example a network trained on ε).
template <class NoisePredictor, class Process>
struct ScoreFromNoisePredictor {
  NoisePredictor noise_predictor;  ///< ε(x, t)
  Process process;                 ///< supplies σ_t
  /// s(x, t).
  template <class X>
  X operator()(const X& x, double t) const {
    return X(noise_predictor(x, t) / -process.marginal_std(t));
  }
};

/// ε(x, t) = −σ_t s(x, t).
template <class Score, class Process>
NoisePredictorFromScore<Score, Process> noise_predictor_from_score(Score score, Process process) {
  return {std::move(score), std::move(process)};
}

/// s(x, t) = −ε(x, t)/σ_t.
template <class NoisePredictor, class Process>
ScoreFromNoisePredictor<NoisePredictor, Process> score_from_noise_predictor(NoisePredictor eps, Process process) {
  return {std::move(eps), std::move(process)};
}

}  // namespace sdekit
