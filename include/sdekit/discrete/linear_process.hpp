#pragma once
// The linear (autoregressive) process x_t = a x_{t−1} + b + ε_t with Gaussian ε_t, scalar or vector: its exact
// moments at every step (the recursion m_t = a m_{t−1} + b, v_t = a v_{t−1} aᵀ + Σ) and its stationary law when
// |a| < 1 (spectral radius of A below 1). Run ensembles of it with simulate_discrete_process.
#include <sdekit/discrete/discrete_time.hpp>
#include <sdekit/core/errors.hpp>
#include <sdekit/core/noise.hpp>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace sdekit {

/// The scalar linear process x_t = a x_{t−1} + b + σ z_t, z_t ~ N(0, 1) independent.
class LinearProcess {
 public:
  /// Throws std::invalid_argument for non-finite a or b, or σ negative or non-finite.
  LinearProcess(double a, double b, double sigma) : a_(a), b_(b), sigma_(sigma) {
    constexpr const char* where = "sdekit::LinearProcess";
    detail::require(std::isfinite(a), where, "a", a, "must be finite");
    detail::require(std::isfinite(b), where, "b", b, "must be finite");
    detail::require(std::isfinite(sigma) && sigma >= 0, where, "sigma", sigma, "must be non-negative and finite");
  }

  double a() const { return a_; }          ///< the autoregressive coefficient
  double b() const { return b_; }          ///< the intercept
  double sigma() const { return sigma_; }  ///< the noise standard deviation

  /// One step: x ← a x + b + σ z with z from the particle's stream.
  void step(double& x, std::int64_t /*t*/, RandomStream& rng) const { x = a_ * x + b_ + sigma_ * rng.normal(); }

  /// E[x_n] given E[x_0] = mean0 (closed form of m_n = a m_{n−1} + b).
  double mean_at(std::uint64_t n, double mean0) const {
    const double an = std::pow(a_, static_cast<double>(n));
    const double sum = a_ == 1.0 ? static_cast<double>(n) : (1.0 - an) / (1.0 - a_);  // Σ_{k<n} a^k
    return an * mean0 + b_ * sum;
  }
  /// Var[x_n] given Var[x_0] = variance0 (closed form of v_n = a² v_{n−1} + σ²).
  double variance_at(std::uint64_t n, double variance0 = 0.0) const {
    const double a2 = a_ * a_;
    const double a2n = std::pow(a2, static_cast<double>(n));
    const double sum = a2 == 1.0 ? static_cast<double>(n) : (1.0 - a2n) / (1.0 - a2);
    return a2n * variance0 + sigma_ * sigma_ * sum;
  }
  /// The stationary mean b / (1 − a); throws unless |a| < 1.
  double stationary_mean() const {
    require_stationary("sdekit::LinearProcess::stationary_mean");
    return b_ / (1.0 - a_);
  }
  /// The stationary variance σ² / (1 − a²); throws unless |a| < 1.
  double stationary_variance() const {
    require_stationary("sdekit::LinearProcess::stationary_variance");
    return sigma_ * sigma_ / (1.0 - a_ * a_);
  }
  /// A sampler x0(i, rng) of the stationary law N(b/(1−a), σ²/(1−a²)), to start an ensemble in equilibrium.
  auto stationary_sampler() const {
    const double m = stationary_mean();
    const double s = std::sqrt(stationary_variance());
    return [m, s](std::size_t, RandomStream& rng) { return m + s * rng.normal(); };
  }

 private:
  void require_stationary(const char* where) const {
    detail::require(std::abs(a_) < 1.0, where, "a", a_, "must satisfy |a| < 1 for a stationary law");
  }
  double a_, b_, sigma_;
};

/// The vector linear process x_t = A x_{t−1} + b + ε_t, ε_t ~ N(0, Σ) independent, on states
/// Eigen::Matrix<double, N, 1> (N fixed, or Eigen::Dynamic).
template <int N = Eigen::Dynamic>
class VectorLinearProcess {
 public:
  using State = Eigen::Matrix<double, N, 1>;   ///< the state type
  using Matrix = Eigen::Matrix<double, N, N>;  ///< the type of A and Σ

  /// Throws std::invalid_argument for a non-square A, sizes that do not match, non-finite entries, or a Σ that is
  /// not a symmetric positive semi-definite matrix.
  VectorLinearProcess(Matrix a, State b, Matrix covariance)
      : a_(std::move(a)), b_(std::move(b)), covariance_(std::move(covariance)) {
    constexpr const char* where = "sdekit::VectorLinearProcess";
    detail::require(a_.rows() == a_.cols(), where, "A.cols()", a_.cols(),
                    "must equal A.rows() = " + detail::to_text(a_.rows()) + " (A must be square)");
    detail::require(a_.rows() >= 1, where, "A.rows()", a_.rows(), "must be at least 1");
    detail::require(b_.size() == a_.rows(), where, "b.size()", b_.size(),
                    "must equal A.rows() = " + detail::to_text(a_.rows()));
    detail::require(covariance_.rows() == a_.rows() && covariance_.cols() == a_.rows(), where, "covariance.rows()",
                    covariance_.rows(), "must give a square matrix of A's size " + detail::to_text(a_.rows()));
    detail::require(a_.allFinite(), where, "A", "(non-finite entry)", "must be finite");
    detail::require(b_.allFinite(), where, "b", b_, "must be finite");
    detail::require(covariance_.allFinite(), where, "covariance", "(non-finite entry)", "must be finite");
    const double scale = std::max(1.0, covariance_.cwiseAbs().maxCoeff());
    detail::require((covariance_ - covariance_.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * scale, where, "covariance",
                    "(asymmetric)", "must be symmetric");
    // Σ = V Λ Vᵀ; the noise is V √Λ z, which also serves singular (semi-definite) covariances.
    Eigen::SelfAdjointEigenSolver<Matrix> eigen(covariance_);
    const double smallest = eigen.eigenvalues().minCoeff();
    detail::require(smallest >= -1e-12 * scale, where, "smallest eigenvalue of covariance", smallest,
                    "must be non-negative (covariance must be positive semi-definite)");
    factor_ = eigen.eigenvectors() * eigen.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
  }

  /// The process with Σ = σ² I.
  VectorLinearProcess(Matrix a, State b, double sigma)
      : VectorLinearProcess(a, b, identity_times(a.rows(), sigma * sigma)) {
    detail::require(std::isfinite(sigma) && sigma >= 0, "sdekit::VectorLinearProcess", "sigma", sigma,
                    "must be non-negative and finite");
  }

  const Matrix& a() const { return a_; }                                         ///< the matrix A
  const State& b() const { return b_; }                                          ///< the intercept b
  const Matrix& covariance() const { return covariance_; }                       ///< the noise covariance Σ
  std::size_t dimension() const { return static_cast<std::size_t>(b_.size()); }  ///< components n

  /// One step: x ← A x + b + F z with F Fᵀ = Σ and z from the particle's stream. No allocation for fixed N.
  void step(State& x, std::int64_t /*t*/, RandomStream& rng) const {
    if constexpr (N == Eigen::Dynamic) {
      thread_local State z, next;  // reused across steps and particles of a thread: no allocation per step
      step_with(x, rng, z, next);
    } else {
      State z, next;
      step_with(x, rng, z, next);
    }
  }

  /// E[x_n] given E[x_0] = mean0 (the recursion m_n = A m_{n−1} + b, n matrix–vector products).
  State mean_at(std::uint64_t n, const State& mean0) const {
    State m = mean0;
    for (std::uint64_t k = 0; k < n; ++k) m = a_ * m + b_;
    return m;
  }
  /// Cov[x_n] given Cov[x_0] = covariance0 (zero when omitted): C_n = A C_{n−1} Aᵀ + Σ.
  Matrix covariance_at(std::uint64_t n) const { return covariance_at(n, Matrix::Zero(a_.rows(), a_.cols())); }
  /// Cov[x_n] given Cov[x_0] = covariance0.
  Matrix covariance_at(std::uint64_t n, const Matrix& covariance0) const {
    Matrix c = covariance0;
    for (std::uint64_t k = 0; k < n; ++k) c = a_ * c * a_.transpose() + covariance_;
    return c;
  }
  /// The largest modulus of A's eigenvalues.
  double spectral_radius() const { return Eigen::EigenSolver<Matrix>(a_, false).eigenvalues().cwiseAbs().maxCoeff(); }
  /// The stationary mean (I − A)⁻¹ b; throws unless the spectral radius of A is below 1.
  State stationary_mean() const {
    require_stationary("sdekit::VectorLinearProcess::stationary_mean");
    const Matrix i_minus_a = Matrix::Identity(a_.rows(), a_.cols()) - a_;
    return i_minus_a.fullPivLu().solve(b_);
  }
  /// The stationary covariance, the solution of C = A C Aᵀ + Σ; throws unless the spectral radius of A is below 1.
  /// Computed by the doubling iteration C ← C + A_k C A_kᵀ, A_k ← A_k² (C_k sums the first 2^k terms of
  /// Σ_j Aʲ Σ Aʲᵀ), which converges quadratically and costs O(n³) per doubling.
  Matrix stationary_covariance() const {
    require_stationary("sdekit::VectorLinearProcess::stationary_covariance");
    Matrix c = covariance_;
    Matrix power = a_;
    for (int k = 0; k < 100 && power.cwiseAbs().maxCoeff() > 1e-18; ++k) {
      c += power * c * power.transpose();
      power = power * power;
    }
    return 0.5 * (c + c.transpose());
  }
  /// A sampler x0(i, rng) of the stationary law N(μ, C), to start an ensemble in equilibrium.
  auto stationary_sampler() const {
    const State m = stationary_mean();
    Eigen::SelfAdjointEigenSolver<Matrix> eigen(stationary_covariance());
    const Matrix f = eigen.eigenvectors() * eigen.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
    return [m, f](std::size_t, RandomStream& rng) {
      State z(m.size());
      for (Eigen::Index c = 0; c < z.size(); ++c) z[c] = rng.normal();
      return State(m + f * z);
    };
  }

 private:
  static Matrix identity_times(Eigen::Index n, double value) { return Matrix::Identity(n, n) * value; }

  void require_stationary(const char* where) const {
    const double rho = spectral_radius();
    detail::require(rho < 1.0, where, "spectral radius of A", rho, "must be below 1 for a stationary law");
  }

  void step_with(State& x, RandomStream& rng, State& z, State& next) const {
    z.resize(x.size());
    for (Eigen::Index c = 0; c < z.size(); ++c) z[c] = rng.normal();
    next.noalias() = a_ * x;
    next += b_;
    next.noalias() += factor_ * z;
    x = next;
  }

  Matrix a_;
  State b_;
  Matrix covariance_;
  Matrix factor_;
};

/// The scalar linear process x_t = a x_{t−1} + b + σ z_t.
inline LinearProcess make_linear_process(double a, double b, double sigma) { return {a, b, sigma}; }

/// The vector linear process x_t = A x_{t−1} + b + ε_t with ε_t ~ N(0, covariance).
template <class MatrixA, class VectorB, class Noise>
  requires is_eigen_v<MatrixA>
auto make_linear_process(const MatrixA& a, const VectorB& b, const Noise& noise) {
  constexpr int n = MatrixA::RowsAtCompileTime;
  using P = VectorLinearProcess<n>;
  // Fixed-size conversions below would not check sizes: do it here, naming the argument.
  constexpr const char* where = "sdekit::make_linear_process";
  detail::require(b.size() == a.rows(), where, "b.size()", b.size(),
                  "must equal A.rows() = " + detail::to_text(a.rows()));
  if constexpr (!std::is_arithmetic_v<Noise>)
    detail::require(noise.rows() == a.rows() && noise.cols() == a.rows(), where, "covariance.rows()", noise.rows(),
                    "must give a square matrix of A's size " + detail::to_text(a.rows()));
  if constexpr (std::is_arithmetic_v<Noise>) return P(typename P::Matrix(a), typename P::State(b), double(noise));
  else return P(typename P::Matrix(a), typename P::State(b), typename P::Matrix(noise));
}

}  // namespace sdekit
