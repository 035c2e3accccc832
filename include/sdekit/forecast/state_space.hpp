#pragma once
// Linear state-space SDE models dX = (A X + b) dt + G dW observed as Y_k = C X(t_k) + ε_k, ε_k ~ N(0, R):
// exact discretisation over any step (matrix exponential, Van Loan's block matrix for the noise covariance), the
// Kalman filter on irregular times with missing values (NaN) kept as gaps, the exact Gaussian log-likelihood
// (stationary, given or diffuse initial law), the Rauch–Tung–Striebel smoother and closed-form forecasts.
// Model families (continuous local level, local linear trend, CARMA(p,q)) map parameters to (A, b, G, C, R).
#include <Eigen/Core>

#include <cstddef>
#include <span>
#include <vector>

namespace sdekit {

/// The law of the state at the first observation time: N(mean, covariance + κ·diffuse_covariance) with κ → ∞.
struct InitialLaw {
  /// How the law is chosen.
  enum class Kind {
    stationary,  ///< the stationary law of a stable A: mean −A⁻¹b, covariance solving A P + P Aᵀ + G Gᵀ = 0
    given,       ///< mean, covariance and (optional) diffuse_covariance as set below
  };
  Kind kind = Kind::stationary;        ///< how the law is chosen
  Eigen::VectorXd mean;                ///< mean (given)
  Eigen::MatrixXd covariance;          ///< proper part P_* of the covariance (given)
  Eigen::MatrixXd diffuse_covariance;  ///< diffuse part P_∞ (given; empty or zero: none), exact diffuse filter
};

/// dX = (A X + b) dt + G dW, Y = C X + d + ε with ε ~ N(0, R): n states, m noises, p observed components.
struct LinearSdeModel {
  Eigen::MatrixXd A;   ///< drift matrix, n × n
  Eigen::VectorXd b;   ///< drift constant, n (empty: zero)
  Eigen::MatrixXd G;   ///< diffusion, n × m
  Eigen::MatrixXd C;   ///< observation matrix, p × n
  Eigen::VectorXd d;   ///< observation offset, p (empty: zero)
  Eigen::MatrixXd R;   ///< observation noise covariance, p × p (positive semi-definite)
  InitialLaw initial;  ///< law of X(t_0)
};

/// The exact transition over a step Δ: X(t+Δ) = Φ X(t) + c + w, w ~ N(0, Q).
struct Discretisation {
  Eigen::MatrixXd Phi;  ///< e^{AΔ}
  Eigen::VectorXd c;    ///< ∫₀^Δ e^{As} ds b
  Eigen::MatrixXd Q;    ///< ∫₀^Δ e^{As} G Gᵀ e^{Aᵀs} ds (Van Loan 1978)
};

/// The exact discretisation of `model` over step Δ ≥ 0.
Discretisation discretise(const LinearSdeModel& model, double step);

/// Solves A P + P Aᵀ + S = 0 for a stable A (every eigenvalue with negative real part); throws otherwise.
Eigen::MatrixXd solve_lyapunov(const Eigen::MatrixXd& A, const Eigen::MatrixXd& S);

/// The mean and proper/diffuse covariance of X(t_0) that the filter starts from (stationary law solved here).
InitialLaw resolve_initial_law(const LinearSdeModel& model);

/// What the Kalman filter computes at each observation time t_k.
struct KalmanResult {
  double log_likelihood = 0.0;                  ///< exact (diffuse) Gaussian log-likelihood of the observed values
  std::size_t observations = 0;                 ///< observed scalar values (missing ones not counted)
  std::size_t diffuse_observations = 0;         ///< of those, the ones spent on the diffuse part of the initial law
  std::vector<Eigen::VectorXd> predicted_mean;  ///< E[X(t_k) | Y before t_k]
  std::vector<Eigen::MatrixXd> predicted_cov;   ///< its covariance (proper part)
  std::vector<Eigen::VectorXd> filtered_mean;   ///< E[X(t_k) | Y up to t_k]
  std::vector<Eigen::MatrixXd> filtered_cov;    ///< its covariance (proper part)
  std::vector<bool> diffuse;                    ///< true where the filtered law still has a diffuse part
  std::vector<Discretisation> transitions;      ///< transitions[k]: from t_k to t_{k+1}
  /// Standardised one-step innovations of the first observed component (NaN where missing or diffuse).
  std::vector<double> standardised_innovations;
};

/// Kalman filter of `model` over observations (rows: times, columns: the p components; NaN = missing, the filter
/// then predicts without updating). Times must be strictly increasing.
KalmanResult kalman_filter(const LinearSdeModel& model, std::span<const double> times,
                           const Eigen::MatrixXd& observations);

/// Kalman filter of a scalar series (p = 1).
KalmanResult kalman_filter(const LinearSdeModel& model, std::span<const double> times, std::span<const double> values);

/// E[X(t_k) | all Y] and its covariance (Rauch–Tung–Striebel); needs a proper filtered law at t_0 (a diffuse
/// initial law is fine when the first observation resolves it, as for the local level).
struct SmoothedStates {
  std::vector<Eigen::VectorXd> mean;        ///< smoothed means
  std::vector<Eigen::MatrixXd> covariance;  ///< smoothed covariances
};

/// The RTS smoother over a filter run of `model`.
SmoothedStates rts_smoother(const KalmanResult& filtered);

/// Gaussian forecasts of the observation C X(t_last + h) + ε, from the filter's last filtered state.
struct StateSpaceForecast {
  std::vector<double> horizons;             ///< the horizons h
  std::vector<Eigen::VectorXd> mean;        ///< E[Y(t_last + h) | data]
  std::vector<Eigen::MatrixXd> covariance;  ///< its covariance (with observation noise)
  /// Standard deviation of the first component at each horizon.
  double sd(std::size_t i) const;
};

/// Forecasts h ≥ 0 after the last observation time of `filtered` (horizons in the model's time units).
StateSpaceForecast forecast_state_space(const LinearSdeModel& model, const KalmanResult& filtered,
                                        std::span<const double> horizons);

/// Continuous local level: dμ = σ_level dW, Y = μ + ε, ε ~ N(0, σ_obs²), diffuse initial level.
LinearSdeModel local_level_model(double sigma_level, double sigma_obs);

/// Local linear trend: dμ = ν dt + σ_level dW₁, dν = −slope_rate ν dt + σ_slope dW₂, Y = μ + ε. A slope_rate of 0
/// is the integrated random walk (diffuse slope); a positive one an OU slope (stationary slope law).
LinearSdeModel local_linear_trend_model(double sigma_level, double sigma_slope, double slope_rate, double sigma_obs);

/// CARMA(p, q) (Brockwell 2001) in controllable canonical form: a(D) X = σ DW with a(z) = zᵖ + a₁zᵖ⁻¹ + … + a_p,
/// Y = μ + b₀X + b₁X' + … + b_{q−1}X^{(q−1)} + X^{(q)} + ε (b_q = 1). ar = (a₁ … a_p), p ≤ 4; ma = (b₀ … b_{q−1}),
/// q < p. Throws std::invalid_argument naming "ar" unless every root of a(z) has a negative real part.
LinearSdeModel carma_model(const Eigen::VectorXd& ar, const Eigen::VectorXd& ma, double sigma, double mu,
                           double sigma_obs = 0.0);

/// Multivariate Ornstein–Uhlenbeck: dX = κ(μ − X) dt + Σ dW (n states, Σ n × m), observed as Y = C X + ε with
/// ε ~ N(0, R); C empty observes every state (identity), R empty is no observation noise. Stationary start; throws
/// std::invalid_argument naming "kappa" unless every eigenvalue of κ has a positive real part.
LinearSdeModel multivariate_ou_model(const Eigen::MatrixXd& kappa, const Eigen::VectorXd& mu,
                                     const Eigen::MatrixXd& sigma, const Eigen::MatrixXd& C = {},
                                     const Eigen::MatrixXd& R = {});

/// A stochastic trigonometric seasonal component of period P (in the time unit): for harmonic j = 1 … harmonics a
/// pair (s_j, s*_j) with d(s_j, s*_j) = [[−λ, ω_j], [−ω_j, −λ]] (s_j, s*_j) dt + σ dW_j, ω_j = 2πj/P, observed as
/// Σ_j s_j (no observation noise; add it with sum_of_components). λ = damping ≥ 0: 0 is a seasonal pattern that
/// drifts like a random walk, with a diffuse start (at unit steps exactly the discrete trigonometric seasonal of
/// statsmodels' UnobservedComponents freq_seasonal); λ > 0 a stationary, decaying one.
LinearSdeModel seasonal_model(double period, int harmonics, double sigma, double damping = 0.0);

/// The sum of independent components observed together: Y = Σᵢ (Cᵢ Xᵢ + dᵢ) + ε with R = Σᵢ Rᵢ; the state stacks
/// the components' states (block-diagonal A and G) and their initial laws (stationary ones solved here). Every
/// component must observe the same number of values. Example: local_level_model + carma_model(κ, …, μ = 0) is a
/// wandering level with mean-reverting excursions around it.
LinearSdeModel sum_of_components(const std::vector<LinearSdeModel>& components);

/// The roots of zᵖ + a₁zᵖ⁻¹ + … + a_p.
Eigen::VectorXcd ar_polynomial_roots(const Eigen::VectorXd& ar);

}  // namespace sdekit
