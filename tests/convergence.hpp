#pragma once
// Strong-error measurement for the order tests: every path is one BrownianPath whose fine increments are drawn once
// and summed (in grid order, as BrownianPath does) to give the increment of any coarser step, so all step sizes see
// the same Brownian path.
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <vector>

namespace sdekit_test {

/// The fine increments of one Brownian path, drawn once; a noise source for any dt that is a multiple of fine_dt.
class CachedPath {
 public:
  CachedPath(std::uint64_t seed, std::uint64_t particle, double fine_dt, std::size_t fine_steps, std::size_t dimension)
      : fine_dt_(fine_dt), increments_(static_cast<Eigen::Index>(dimension), static_cast<Eigen::Index>(fine_steps)) {
    const sdekit::BrownianPath path(seed, 0.0, fine_dt, dimension, particle);
    Eigen::VectorXd dW(static_cast<Eigen::Index>(dimension));
    for (std::size_t i = 0; i < fine_steps; ++i) {
      path.increment(i, i + 1, dW);
      increments_.col(static_cast<Eigen::Index>(i)) = dW;
    }
  }
  double fine_dt() const { return fine_dt_; }
  const Eigen::MatrixXd& increments() const { return increments_; }
  /// W_c at fine grid index i.
  double W(std::size_t c, std::size_t i) const {
    double w = 0;
    for (std::size_t j = 0; j < i; ++j) w += increments_(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j));
    return w;
  }
  /// The noise-source call: sum of the fine increments inside [t, t + dt].
  template <class Inc>
  void operator()(std::uint64_t, double t, double dt, Inc& dW) const {
    const auto i0 = static_cast<Eigen::Index>(std::llround(t / fine_dt_));
    const auto i1 = static_cast<Eigen::Index>(std::llround((t + dt) / fine_dt_));
    if constexpr (std::is_arithmetic_v<Inc>) {
      dW = 0;
      for (Eigen::Index i = i0; i < i1; ++i) dW += increments_(0, i);
    } else {
      dW.setZero();
      for (Eigen::Index i = i0; i < i1; ++i) dW += increments_.col(i);
    }
  }

 private:
  double fine_dt_;
  Eigen::MatrixXd increments_;
};

/// Mean over `paths` paths of |X_T(dt) − exact(path)| (Euclidean norm for vectors) for dt = 2^-level,
/// level = first_level … last_level, on [0, T = 1]; paths have fine step 2^-fine_level.
template <class Stepper, class P, class X, class Exact>
std::vector<double> strong_errors(const Stepper& stepper, const P& problem, const X& x0, std::size_t dimension,
                                  int first_level, int last_level, int fine_level, int paths, Exact exact,
                                  std::uint64_t seed = 1) {
  std::vector<double> errors(static_cast<std::size_t>(last_level - first_level + 1), 0.0);
  const std::size_t fine_steps = std::size_t{1} << fine_level;
  for (int p = 0; p < paths; ++p) {
    const CachedPath path(seed, static_cast<std::uint64_t>(p), std::ldexp(1.0, -fine_level), fine_steps, dimension);
    const X reference = exact(path);
    for (int level = first_level; level <= last_level; ++level) {
      X x = x0;
      Stepper s = stepper;
      sdekit::integrate(s, problem, x, 0.0, 1.0, std::ldexp(1.0, -level), path);
      double e;
      if constexpr (std::is_arithmetic_v<X>) e = std::abs(x - reference);
      else e = (x - reference).norm();
      errors[static_cast<std::size_t>(level - first_level)] += e / paths;
    }
  }
  return errors;
}

/// Least-squares slope of log(error) against log(dt) for dt = 2^-level.
inline double order_slope(const std::vector<double>& errors, int first_level) {
  const double n = static_cast<double>(errors.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const double x = -(first_level + static_cast<double>(i)) * std::log(2.0);
    const double y = std::log(errors[i]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace sdekit_test
