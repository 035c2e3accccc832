// Linear state-space SDE models: exact discretisation, the (exact diffuse) Kalman filter, the RTS smoother,
// forecasts and the model families. References: Van Loan (1978) for Q(Δ); Durbin & Koopman (2012), sections 5.2
// and 6.4, for the exact initial diffuse filter in its univariate (one component at a time) form.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/state_space.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <Eigen/QR>
#include <unsupported/Eigen/MatrixFunctions>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <string>

namespace sdekit {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double log_two_pi = 1.8378770664093454836;

using detail::require;

Eigen::MatrixXd symmetric(const Eigen::MatrixXd& P) { return 0.5 * (P + P.transpose()); }

void validate_model(const LinearSdeModel& m, const char* where) {
  const Eigen::Index n = m.A.rows();
  require(n >= 1 && m.A.cols() == n, where, "model.A", m.A, "must be square with at least one row");
  require(m.b.size() == 0 || m.b.size() == n, where, "model.b.size()", m.b.size(), "must be 0 or " + std::to_string(n));
  require(m.G.rows() == n && m.G.cols() >= 1, where, "model.G.rows()", m.G.rows(),
          "must equal the number of states " + std::to_string(n) + " (with at least one column)");
  require(m.C.cols() == n && m.C.rows() >= 1, where, "model.C.cols()", m.C.cols(),
          "must equal the number of states " + std::to_string(n) + " (with at least one row)");
  const Eigen::Index p = m.C.rows();
  require(m.R.rows() == p && m.R.cols() == p, where, "model.R.rows()", m.R.rows(),
          "must equal the observed components " + std::to_string(p) + " (R is p × p)");
  require(m.d.size() == 0 || m.d.size() == p, where, "model.d.size()", m.d.size(), "must be 0 or " + std::to_string(p));
  require(m.A.allFinite(), where, "model.A", m.A, "must be finite");
  require(m.b.allFinite(), where, "model.b", m.b, "must be finite");
  require(m.G.allFinite(), where, "model.G", m.G, "must be finite");
  require(m.C.allFinite(), where, "model.C", m.C, "must be finite");
  require(m.d.allFinite(), where, "model.d", m.d, "must be finite");
  require(m.R.allFinite() && (m.R - m.R.transpose()).cwiseAbs().maxCoeff() <= 1e-12 * (1 + m.R.cwiseAbs().maxCoeff()),
          where, "model.R", m.R, "must be finite and symmetric");
  for (Eigen::Index i = 0; i < p; ++i)
    require(m.R(i, i) >= 0, where, "model.R", m.R, "must have a non-negative diagonal");
}

// The transition over one step, computed at step/2^s with ‖A‖·step/2^s ≤ 1/2 and doubled s times
// (Φ(2δ) = Φ², c(2δ) = Φc + c, Q(2δ) = ΦQΦᵀ + Q): Van Loan's block matrix then never holds e^{−AΔ} for a large
// Δ, whose growth would cancel catastrophically against e^{AΔ} when A is stable and the gap long.
Discretisation discretise_unchecked(const LinearSdeModel& m, double step) {
  const Eigen::Index n = m.A.rows();
  Discretisation out;
  if (step == 0.0) {
    out.Phi = Eigen::MatrixXd::Identity(n, n);
    out.c = Eigen::VectorXd::Zero(n);
    out.Q = Eigen::MatrixXd::Zero(n, n);
    return out;
  }
  const double norm = m.A.cwiseAbs().rowwise().sum().maxCoeff();
  int doublings = 0;
  double delta = step;
  while (norm * delta > 0.5 && doublings < 1100) {  // 2^1100 > any finite double
    delta *= 0.5;
    ++doublings;
  }
  // Van Loan: exp([[−A, GGᵀ], [0, Aᵀ]] δ) = [[·, F₁₂], [0, F₂₂]] with Φ = F₂₂ᵀ and Q = Φ F₁₂; c comes from the
  // augmented exp([[A, b], [0, 0]] δ), whose top-right column is ∫₀^δ e^{As} ds b.
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(2 * n, 2 * n);
  M.topLeftCorner(n, n) = -m.A * delta;
  M.topRightCorner(n, n) = m.G * m.G.transpose() * delta;
  M.bottomRightCorner(n, n) = m.A.transpose() * delta;
  const Eigen::MatrixXd E = M.exp();
  Eigen::MatrixXd Phi = E.bottomRightCorner(n, n).transpose();
  Eigen::MatrixXd Q = symmetric(Phi * E.topRightCorner(n, n));
  Eigen::VectorXd c = Eigen::VectorXd::Zero(n);
  if (m.b.size() && m.b.any()) {
    Eigen::MatrixXd B = Eigen::MatrixXd::Zero(n + 1, n + 1);
    B.topLeftCorner(n, n) = m.A * delta;
    B.topRightCorner(n, 1) = m.b * delta;
    c = B.exp().topRightCorner(n, 1);
  }
  for (int i = 0; i < doublings; ++i) {
    Q = symmetric(Phi * Q * Phi.transpose() + Q);
    c = Phi * c + c;
    Phi = Phi * Phi;
  }
  out.Phi = std::move(Phi);
  out.c = std::move(c);
  out.Q = std::move(Q);
  return out;
}

// Eigenvalue of A with the largest real part.
std::complex<double> rightmost_eigenvalue(const Eigen::MatrixXd& A) {
  const Eigen::VectorXcd lambda = A.eigenvalues();
  Eigen::Index k = 0;
  for (Eigen::Index i = 1; i < lambda.size(); ++i)
    if (lambda[i].real() > lambda[k].real()) k = i;
  return lambda[k];
}

std::string complex_text(std::complex<double> z) {
  return detail::to_text(z.real()) + (z.imag() < 0 ? " - " : " + ") + detail::to_text(std::abs(z.imag())) + "i";
}

}  // namespace

Discretisation discretise(const LinearSdeModel& model, double step) {
  constexpr const char* where = "sdekit::discretise";
  validate_model(model, where);
  require(std::isfinite(step) && step >= 0, where, "step", step, "must be finite and non-negative");
  return discretise_unchecked(model, step);
}

Eigen::MatrixXd solve_lyapunov(const Eigen::MatrixXd& A, const Eigen::MatrixXd& S) {
  constexpr const char* where = "sdekit::solve_lyapunov";
  const Eigen::Index n = A.rows();
  require(n >= 1 && A.cols() == n && A.allFinite(), where, "A", A, "must be square, non-empty and finite");
  require(S.rows() == n && S.cols() == n && S.allFinite(), where, "S", S, "must be finite and of the size of A");
  const std::complex<double> lambda = rightmost_eigenvalue(A);
  require(
      lambda.real() < 0, where, "A", A,
      "must be stable (every eigenvalue with negative real part); its eigenvalue " + complex_text(lambda) + " is not");
  // (I ⊗ A + A ⊗ I) vec P = −vec S: n² unknowns, small for the models here (n ≤ 5).
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(n, n);
  Eigen::MatrixXd K = Eigen::MatrixXd::Zero(n * n, n * n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      K.block(i * n, j * n, n, n) += I(i, j) * A;
      K.block(i * n, j * n, n, n) += A(i, j) * I;
    }
  const Eigen::VectorXd s = Eigen::Map<const Eigen::VectorXd>(S.data(), n * n);
  const Eigen::VectorXd p = K.partialPivLu().solve(-s);
  return symmetric(Eigen::Map<const Eigen::MatrixXd>(p.data(), n, n));
}

InitialLaw resolve_initial_law(const LinearSdeModel& model) {
  constexpr const char* where = "sdekit::resolve_initial_law";
  validate_model(model, where);
  const Eigen::Index n = model.A.rows();
  InitialLaw law = model.initial;
  if (law.kind == InitialLaw::Kind::stationary) {
    const std::complex<double> lambda = rightmost_eigenvalue(model.A);
    require(lambda.real() < 0, where, "model.A", model.A,
            "has no stationary law (eigenvalue " + complex_text(lambda) +
                " has a non-negative real part): give model.initial as Kind::given, with a diffuse part if needed");
    law.covariance = solve_lyapunov(model.A, model.G * model.G.transpose());
    law.mean = model.b.size() ? Eigen::VectorXd(model.A.partialPivLu().solve(-model.b)) : Eigen::VectorXd::Zero(n);
    law.diffuse_covariance = Eigen::MatrixXd::Zero(n, n);
    return law;
  }
  require(law.mean.size() == n && law.mean.allFinite(), where, "model.initial.mean", law.mean,
          "must be finite with one entry per state (" + std::to_string(n) + ")");
  require(law.covariance.rows() == n && law.covariance.cols() == n && law.covariance.allFinite(), where,
          "model.initial.covariance", law.covariance, "must be finite and n × n, n = " + std::to_string(n));
  if (law.diffuse_covariance.size() == 0) law.diffuse_covariance = Eigen::MatrixXd::Zero(n, n);
  require(
      law.diffuse_covariance.rows() == n && law.diffuse_covariance.cols() == n && law.diffuse_covariance.allFinite(),
      where, "model.initial.diffuse_covariance", law.diffuse_covariance,
      "must be empty or finite and n × n, n = " + std::to_string(n));
  return law;
}

KalmanResult kalman_filter(const LinearSdeModel& model, std::span<const double> times,
                           const Eigen::MatrixXd& observations) {
  constexpr const char* where = "sdekit::kalman_filter";
  validate_model(model, where);
  const std::size_t N = times.size();
  const Eigen::Index p = model.C.rows();
  require(N >= 1, where, "times.size()", N, "must be at least 1");
  require(static_cast<std::size_t>(observations.rows()) == N, where, "observations.rows()", observations.rows(),
          "must equal times.size() = " + std::to_string(N));
  require(observations.cols() == p, where, "observations.cols()", observations.cols(),
          "must equal the observed components (rows of model.C) " + std::to_string(p));
  for (std::size_t k = 0; k < N; ++k) {
    require(std::isfinite(times[k]), where, "times[" + std::to_string(k) + "]", times[k], "must be finite");
    if (k > 0)
      require(times[k] > times[k - 1], where, "times[" + std::to_string(k) + "]", times[k],
              "must be greater than times[" + std::to_string(k - 1) + "] = " + detail::to_text(times[k - 1]));
    for (Eigen::Index j = 0; j < p; ++j)
      require(!std::isinf(observations(static_cast<Eigen::Index>(k), j)), where,
              "observations(" + std::to_string(k) + ", " + std::to_string(j) + ")",
              observations(static_cast<Eigen::Index>(k), j), "must be finite or NaN (missing)");
  }
  const InitialLaw law = resolve_initial_law(model);
  const Eigen::Index n = model.A.rows();
  const Eigen::VectorXd d = model.d.size() ? model.d : Eigen::VectorXd::Zero(p);
  const bool R_diagonal = (model.R - Eigen::MatrixXd(model.R.diagonal().asDiagonal())).cwiseAbs().maxCoeff() == 0.0;

  KalmanResult out;
  out.predicted_mean.reserve(N);
  out.predicted_cov.reserve(N);
  out.filtered_mean.reserve(N);
  out.filtered_cov.reserve(N);
  out.diffuse.reserve(N);
  out.transitions.reserve(N ? N - 1 : 0);
  out.standardised_innovations.assign(N, nan);

  Eigen::VectorXd a = law.mean;
  Eigen::MatrixXd P = symmetric(law.covariance);
  Eigen::MatrixXd Pinf = symmetric(law.diffuse_covariance);
  // The diffuse part is "present" while any entry exceeds this (its scale is the user's, typically 1).
  const double diffuse_tolerance = 1e-9 * std::max(1.0, Pinf.cwiseAbs().maxCoeff());
  bool diffuse = Pinf.cwiseAbs().maxCoeff() > diffuse_tolerance;
  double last_step = nan;
  Discretisation step_law;
  double ll = 0.0;

  for (std::size_t k = 0; k < N; ++k) {
    if (k > 0) {
      const double h = times[k] - times[k - 1];
      if (!(h == last_step)) {  // regular grids discretise once
        step_law = discretise_unchecked(model, h);
        last_step = h;
      }
      out.transitions.push_back(step_law);
      a = step_law.Phi * a + step_law.c;
      P = symmetric(step_law.Phi * P * step_law.Phi.transpose() + step_law.Q);
      if (diffuse) Pinf = symmetric(step_law.Phi * Pinf * step_law.Phi.transpose());
    }
    out.predicted_mean.push_back(a);
    out.predicted_cov.push_back(P);

    // The observed components at t_k, decorrelated by the Cholesky factor of their R when R is not diagonal
    // (the log-likelihood then gains −log|L|), and processed one at a time.
    std::vector<Eigen::Index> seen;
    for (Eigen::Index j = 0; j < p; ++j)
      if (!std::isnan(observations(static_cast<Eigen::Index>(k), j))) seen.push_back(j);
    const auto q = static_cast<Eigen::Index>(seen.size());
    if (q > 0) {
      Eigen::VectorXd y(q);
      Eigen::MatrixXd Z(q, n);
      Eigen::MatrixXd H(q, q);
      for (Eigen::Index i = 0; i < q; ++i) {
        y[i] = observations(static_cast<Eigen::Index>(k), seen[i]) - d[seen[i]];
        Z.row(i) = model.C.row(seen[i]);
        for (Eigen::Index j = 0; j < q; ++j) H(i, j) = model.R(seen[i], seen[j]);
      }
      Eigen::VectorXd r = H.diagonal();
      if (!R_diagonal) {
        Eigen::LLT<Eigen::MatrixXd> llt(H);
        require(llt.info() == Eigen::Success, where, "model.R", model.R,
                "must be positive definite when it is not diagonal");
        const Eigen::MatrixXd L = llt.matrixL();
        y = L.triangularView<Eigen::Lower>().solve(y);
        Z = L.triangularView<Eigen::Lower>().solve(Z);
        r = Eigen::VectorXd::Ones(q);
        ll -= L.diagonal().array().log().sum();
      }
      for (Eigen::Index i = 0; i < q; ++i) {
        const Eigen::RowVectorXd z = Z.row(i);
        const double v = y[i] - z.dot(a);
        const Eigen::VectorXd Mstar = P * z.transpose();
        const double Fstar = z.dot(Mstar) + r[i];
        const double Finf = diffuse ? z.dot(Pinf * z.transpose()) : 0.0;
        if (diffuse && Finf > diffuse_tolerance) {
          // Durbin & Koopman (2012) eq. 5.14 in univariate form: the observation resolves part of the diffuse law.
          const Eigen::VectorXd Minf = Pinf * z.transpose();
          a += Minf * (v / Finf);
          P = symmetric(P + Minf * Minf.transpose() * (Fstar / (Finf * Finf)) -
                        (Mstar * Minf.transpose() + Minf * Mstar.transpose()) / Finf);
          Pinf = symmetric(Pinf - Minf * Minf.transpose() / Finf);
          ll -= 0.5 * (log_two_pi + std::log(Finf));
          ++out.diffuse_observations;
        } else {
          if (!(Fstar > 0) || !std::isfinite(Fstar)) {
            ll = -inf;  // a degenerate model (zero variance) cannot have produced a value off its mean
            continue;
          }
          a += Mstar * (v / Fstar);
          P = symmetric(P - Mstar * Mstar.transpose() / Fstar);
          ll -= 0.5 * (log_two_pi + std::log(Fstar) + v * v / Fstar);
          if (i == 0 && seen[0] == 0) out.standardised_innovations[k] = v / std::sqrt(Fstar);
        }
        ++out.observations;
      }
      if (diffuse && Pinf.cwiseAbs().maxCoeff() <= diffuse_tolerance) {
        diffuse = false;
        Pinf.setZero();
      }
    }
    out.filtered_mean.push_back(a);
    out.filtered_cov.push_back(P);
    out.diffuse.push_back(diffuse);
  }
  out.log_likelihood = std::isfinite(ll) ? ll : -inf;
  return out;
}

KalmanResult kalman_filter(const LinearSdeModel& model, std::span<const double> times, std::span<const double> values) {
  const Eigen::MatrixXd y = Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  return kalman_filter(model, times, y);
}

SmoothedStates rts_smoother(const KalmanResult& f) {
  constexpr const char* where = "sdekit::rts_smoother";
  const std::size_t N = f.filtered_mean.size();
  require(N >= 1 && f.transitions.size() + 1 == N, where, "filtered.transitions.size()", f.transitions.size(),
          "must be one less than the filtered states (pass a kalman_filter result)");
  for (std::size_t k = 0; k < N; ++k)
    require(!f.diffuse[k], where, "filtered.diffuse[" + std::to_string(k) + "]", "true",
            "must be false: the observations up to there do not resolve the diffuse initial law (give a proper "
            "initial law to smooth over the first states)");
  SmoothedStates s;
  s.mean.resize(N);
  s.covariance.resize(N);
  s.mean[N - 1] = f.filtered_mean[N - 1];
  s.covariance[N - 1] = f.filtered_cov[N - 1];
  for (std::size_t k = N - 1; k-- > 0;) {
    const Eigen::MatrixXd& Pp = f.predicted_cov[k + 1];
    const Eigen::MatrixXd& Phi = f.transitions[k].Phi;
    // J = P_f Φᵀ P_p⁻¹, by a solve that tolerates a singular P_p (a state with no noise and known value).
    const Eigen::MatrixXd J = Pp.completeOrthogonalDecomposition().solve(Phi * f.filtered_cov[k]).transpose();
    s.mean[k] = f.filtered_mean[k] + J * (s.mean[k + 1] - f.predicted_mean[k + 1]);
    s.covariance[k] = symmetric(f.filtered_cov[k] + J * (s.covariance[k + 1] - Pp) * J.transpose());
  }
  return s;
}

double StateSpaceForecast::sd(std::size_t i) const {
  detail::require(i < covariance.size(), "sdekit::StateSpaceForecast::sd", "i", i,
                  "must be below the number of horizons " + std::to_string(covariance.size()));
  return std::sqrt(covariance[i](0, 0));
}

StateSpaceForecast forecast_state_space(const LinearSdeModel& model, const KalmanResult& filtered,
                                        std::span<const double> horizons) {
  constexpr const char* where = "sdekit::forecast_state_space";
  validate_model(model, where);
  require(!filtered.filtered_mean.empty(), where, "filtered.filtered_mean.size()", 0, "must be positive");
  require(!filtered.diffuse.back(), where, "filtered.diffuse.back()", "true",
          "must be false: the data do not resolve the diffuse initial law");
  require(filtered.filtered_mean.back().size() == model.A.rows(), where, "filtered state size",
          filtered.filtered_mean.back().size(), "must equal the model's states " + std::to_string(model.A.rows()));
  const Eigen::Index p = model.C.rows();
  const Eigen::VectorXd d = model.d.size() ? model.d : Eigen::VectorXd::Zero(p);
  StateSpaceForecast out;
  for (std::size_t i = 0; i < horizons.size(); ++i) {
    const double h = horizons[i];
    require(std::isfinite(h) && h >= 0, where, "horizons[" + std::to_string(i) + "]", h,
            "must be finite and non-negative");
    const Discretisation law = discretise_unchecked(model, h);
    const Eigen::VectorXd m = law.Phi * filtered.filtered_mean.back() + law.c;
    const Eigen::MatrixXd P = law.Phi * filtered.filtered_cov.back() * law.Phi.transpose() + law.Q;
    out.horizons.push_back(h);
    out.mean.push_back(model.C * m + d);
    out.covariance.push_back(symmetric(model.C * P * model.C.transpose() + model.R));
  }
  return out;
}

LinearSdeModel local_level_model(double sigma_level, double sigma_obs) {
  constexpr const char* where = "sdekit::local_level_model";
  require(std::isfinite(sigma_level) && sigma_level >= 0, where, "sigma_level", sigma_level,
          "must be finite and non-negative");
  require(std::isfinite(sigma_obs) && sigma_obs >= 0, where, "sigma_obs", sigma_obs, "must be finite and non-negative");
  LinearSdeModel m;
  m.A = Eigen::MatrixXd::Zero(1, 1);
  m.G = Eigen::MatrixXd::Constant(1, 1, sigma_level);
  m.C = Eigen::MatrixXd::Ones(1, 1);
  m.R = Eigen::MatrixXd::Constant(1, 1, sigma_obs * sigma_obs);
  m.initial.kind = InitialLaw::Kind::given;
  m.initial.mean = Eigen::VectorXd::Zero(1);
  m.initial.covariance = Eigen::MatrixXd::Zero(1, 1);
  m.initial.diffuse_covariance = Eigen::MatrixXd::Ones(1, 1);
  return m;
}

LinearSdeModel local_linear_trend_model(double sigma_level, double sigma_slope, double slope_rate, double sigma_obs) {
  constexpr const char* where = "sdekit::local_linear_trend_model";
  require(std::isfinite(sigma_level) && sigma_level >= 0, where, "sigma_level", sigma_level,
          "must be finite and non-negative");
  require(std::isfinite(sigma_slope) && sigma_slope >= 0, where, "sigma_slope", sigma_slope,
          "must be finite and non-negative");
  require(std::isfinite(slope_rate) && slope_rate >= 0, where, "slope_rate", slope_rate,
          "must be finite and non-negative");
  require(std::isfinite(sigma_obs) && sigma_obs >= 0, where, "sigma_obs", sigma_obs, "must be finite and non-negative");
  LinearSdeModel m;
  m.A = Eigen::MatrixXd::Zero(2, 2);
  m.A(0, 1) = 1.0;
  m.A(1, 1) = -slope_rate;
  m.G = Eigen::MatrixXd::Zero(2, 2);
  m.G(0, 0) = sigma_level;
  m.G(1, 1) = sigma_slope;
  m.C = Eigen::MatrixXd::Zero(1, 2);
  m.C(0, 0) = 1.0;
  m.R = Eigen::MatrixXd::Constant(1, 1, sigma_obs * sigma_obs);
  m.initial.kind = InitialLaw::Kind::given;
  m.initial.mean = Eigen::VectorXd::Zero(2);
  m.initial.covariance = Eigen::MatrixXd::Zero(2, 2);
  m.initial.diffuse_covariance = Eigen::MatrixXd::Zero(2, 2);
  m.initial.diffuse_covariance(0, 0) = 1.0;
  if (slope_rate > 0) m.initial.covariance(1, 1) = sigma_slope * sigma_slope / (2 * slope_rate);
  else m.initial.diffuse_covariance(1, 1) = 1.0;
  return m;
}

LinearSdeModel multivariate_ou_model(const Eigen::MatrixXd& kappa, const Eigen::VectorXd& mu,
                                     const Eigen::MatrixXd& sigma, const Eigen::MatrixXd& C, const Eigen::MatrixXd& R) {
  constexpr const char* where = "sdekit::multivariate_ou_model";
  const Eigen::Index n = kappa.rows();
  require(n >= 1 && kappa.cols() == n && kappa.allFinite(), where, "kappa", kappa,
          "must be a finite square matrix with at least one row");
  require(mu.size() == n && mu.allFinite(), where, "mu.size()", mu.size(),
          "must equal the number of states " + std::to_string(n) + " (finite values)");
  require(sigma.rows() == n && sigma.cols() >= 1 && sigma.allFinite(), where, "sigma.rows()", sigma.rows(),
          "must equal the number of states " + std::to_string(n) + " (finite, at least one column)");
  const std::complex<double> slowest = rightmost_eigenvalue(-kappa);
  require(slowest.real() < 0, where, "kappa", kappa,
          "is not mean-reverting: it has the eigenvalue " + complex_text(-slowest) +
              ", whose real part is not positive");
  LinearSdeModel m;
  m.A = -kappa;
  m.b = kappa * mu;
  m.G = sigma;
  m.C = C.size() ? C : Eigen::MatrixXd(Eigen::MatrixXd::Identity(n, n));
  require(m.C.cols() == n, where, "C.cols()", m.C.cols(), "must equal the number of states " + std::to_string(n));
  const Eigen::Index p = m.C.rows();
  m.R = R.size() ? R : Eigen::MatrixXd(Eigen::MatrixXd::Zero(p, p));
  m.initial.kind = InitialLaw::Kind::stationary;
  validate_model(m, where);
  return m;
}

LinearSdeModel seasonal_model(double period, int harmonics, double sigma, double damping) {
  constexpr const char* where = "sdekit::seasonal_model";
  require(std::isfinite(period) && period > 0, where, "period", period, "must be finite and positive");
  require(harmonics >= 1 && harmonics <= 64, where, "harmonics", harmonics, "must be in [1, 64]");
  require(std::isfinite(sigma) && sigma >= 0, where, "sigma", sigma, "must be finite and non-negative");
  require(std::isfinite(damping) && damping >= 0, where, "damping", damping, "must be finite and non-negative");
  const Eigen::Index n = 2 * harmonics;
  LinearSdeModel m;
  m.A = Eigen::MatrixXd::Zero(n, n);
  m.C = Eigen::MatrixXd::Zero(1, n);
  for (int j = 0; j < harmonics; ++j) {
    const double omega = 2.0 * std::numbers::pi * (j + 1) / period;
    const Eigen::Index i = 2 * j;
    m.A(i, i) = m.A(i + 1, i + 1) = -damping;
    m.A(i, i + 1) = omega;  // e^{AΔ} rotates (s, s*) by −ωΔ: s ← s cos ωΔ + s* sin ωΔ, as statsmodels writes it
    m.A(i + 1, i) = -omega;
    m.C(0, i) = 1.0;
  }
  m.G = sigma * Eigen::MatrixXd::Identity(n, n);
  m.R = Eigen::MatrixXd::Zero(1, 1);
  if (damping > 0) {
    m.initial.kind = InitialLaw::Kind::stationary;
  } else {
    m.initial.kind = InitialLaw::Kind::given;
    m.initial.mean = Eigen::VectorXd::Zero(n);
    m.initial.covariance = Eigen::MatrixXd::Zero(n, n);
    m.initial.diffuse_covariance = Eigen::MatrixXd::Identity(n, n);
  }
  return m;
}

LinearSdeModel sum_of_components(const std::vector<LinearSdeModel>& components) {
  constexpr const char* where = "sdekit::sum_of_components";
  require(!components.empty(), where, "components.size()", 0, "must be positive");
  const Eigen::Index p = components.front().C.rows();
  Eigen::Index n = 0, m = 0;
  for (std::size_t i = 0; i < components.size(); ++i) {
    validate_model(components[i], where);
    require(components[i].C.rows() == p, where, "components[" + std::to_string(i) + "].C.rows()",
            components[i].C.rows(), "must equal components[0].C.rows() = " + std::to_string(p));
    n += components[i].A.rows();
    m += components[i].G.cols();
  }
  LinearSdeModel out;
  out.A = Eigen::MatrixXd::Zero(n, n);
  out.b = Eigen::VectorXd::Zero(n);
  out.G = Eigen::MatrixXd::Zero(n, m);
  out.C = Eigen::MatrixXd::Zero(p, n);
  out.d = Eigen::VectorXd::Zero(p);
  out.R = Eigen::MatrixXd::Zero(p, p);
  out.initial.kind = InitialLaw::Kind::given;
  out.initial.mean = Eigen::VectorXd::Zero(n);
  out.initial.covariance = Eigen::MatrixXd::Zero(n, n);
  out.initial.diffuse_covariance = Eigen::MatrixXd::Zero(n, n);
  Eigen::Index at = 0, noise = 0;
  for (const LinearSdeModel& c : components) {
    const Eigen::Index k = c.A.rows();
    const InitialLaw law = resolve_initial_law(c);
    out.A.block(at, at, k, k) = c.A;
    if (c.b.size()) out.b.segment(at, k) = c.b;
    out.G.block(at, noise, k, c.G.cols()) = c.G;
    out.C.middleCols(at, k) = c.C;
    if (c.d.size()) out.d += c.d;
    out.R += c.R;
    out.initial.mean.segment(at, k) = law.mean;
    out.initial.covariance.block(at, at, k, k) = law.covariance;
    out.initial.diffuse_covariance.block(at, at, k, k) = law.diffuse_covariance;
    at += k;
    noise += c.G.cols();
  }
  return out;
}

Eigen::VectorXcd ar_polynomial_roots(const Eigen::VectorXd& ar) {
  const Eigen::Index p = ar.size();
  require(p >= 1 && ar.allFinite(), "sdekit::ar_polynomial_roots", "ar", ar, "must be non-empty and finite");
  Eigen::MatrixXd companion = Eigen::MatrixXd::Zero(p, p);
  for (Eigen::Index i = 0; i + 1 < p; ++i) companion(i, i + 1) = 1.0;
  for (Eigen::Index j = 0; j < p; ++j) companion(p - 1, j) = -ar[p - 1 - j];
  return companion.eigenvalues();
}

LinearSdeModel carma_model(const Eigen::VectorXd& ar, const Eigen::VectorXd& ma, double sigma, double mu,
                           double sigma_obs) {
  constexpr const char* where = "sdekit::carma_model";
  const Eigen::Index p = ar.size();
  const Eigen::Index q = ma.size();
  require(p >= 1 && p <= 4, where, "ar.size()", p, "must be 1, 2, 3 or 4");
  require(q < p, where, "ma.size()", q, "must be below ar.size() = " + std::to_string(p));
  require(ar.allFinite(), where, "ar", ar, "must be finite");
  require(ma.allFinite(), where, "ma", ma, "must be finite");
  require(std::isfinite(sigma) && sigma > 0, where, "sigma", sigma, "must be finite and positive");
  require(std::isfinite(mu), where, "mu", mu, "must be finite");
  require(std::isfinite(sigma_obs) && sigma_obs >= 0, where, "sigma_obs", sigma_obs, "must be finite and non-negative");
  const Eigen::VectorXcd roots = ar_polynomial_roots(ar);
  for (Eigen::Index i = 0; i < p; ++i)
    require(roots[i].real() < 0, where, "ar", ar,
            "is not stationary: the AR polynomial has the root " + complex_text(roots[i]) +
                ", whose real part is not negative");
  LinearSdeModel m;
  m.A = Eigen::MatrixXd::Zero(p, p);
  for (Eigen::Index i = 0; i + 1 < p; ++i) m.A(i, i + 1) = 1.0;
  for (Eigen::Index j = 0; j < p; ++j) m.A(p - 1, j) = -ar[p - 1 - j];
  m.G = Eigen::MatrixXd::Zero(p, 1);
  m.G(p - 1, 0) = sigma;
  m.C = Eigen::MatrixXd::Zero(1, p);
  for (Eigen::Index j = 0; j < q; ++j) m.C(0, j) = ma[j];
  m.C(0, q) = 1.0;
  m.d = Eigen::VectorXd::Constant(1, mu);
  m.R = Eigen::MatrixXd::Constant(1, 1, sigma_obs * sigma_obs);
  m.initial.kind = InitialLaw::Kind::stationary;
  return m;
}

}  // namespace sdekit
