#pragma once
// Test helper shared by the state-space suites: draws observations of a linear state-space SDE with its exact
// transition, independently of the Kalman filter the suites check.
#include <sdekit/core/noise.hpp>
#include <sdekit/forecast/state_space.hpp>

#include <Eigen/Cholesky>

#include <cmath>
#include <cstdint>
#include <vector>

namespace sdekit_test {

/// The observations of `model` at `times` (stationary or given start), exact transition, seed `seed`.
inline std::vector<double> simulate_linear_sde(const sdekit::LinearSdeModel& model, const std::vector<double>& times,
                                               std::uint64_t seed) {
  sdekit::RandomStream rng(seed, 0, 0);
  const sdekit::InitialLaw law = sdekit::resolve_initial_law(model);
  const Eigen::Index n = model.A.rows();
  auto draw = [&](const Eigen::VectorXd& mean, const Eigen::MatrixXd& cov) {
    Eigen::VectorXd z(n);
    for (Eigen::Index i = 0; i < n; ++i) z[i] = rng.normal();
    // LDLT tolerates the semi-definite Q of a short step.
    Eigen::LDLT<Eigen::MatrixXd> ldlt(cov);
    const Eigen::VectorXd dsqrt = ldlt.vectorD().cwiseMax(0.0).cwiseSqrt();
    const Eigen::VectorXd x = ldlt.transpositionsP().transpose() * (ldlt.matrixL() * (dsqrt.asDiagonal() * z).eval());
    return Eigen::VectorXd(mean + x);
  };
  Eigen::VectorXd x = draw(law.mean, law.covariance);
  std::vector<double> y(times.size());
  for (std::size_t k = 0; k < times.size(); ++k) {
    if (k > 0) {
      const sdekit::Discretisation step = sdekit::discretise(model, times[k] - times[k - 1]);
      x = draw(step.Phi * x + step.c, step.Q);
    }
    y[k] = (model.C * x)(0) + model.d[0] + std::sqrt(model.R(0, 0)) * rng.normal();
  }
  return y;
}

}  // namespace sdekit_test
