#pragma once
// Strong-error measurement for the order tests: every path is one sdekit::BrownianPath, cached once, whose coarse
// increments (ΔW, and I_(1,0) or Lévy areas for steppers that ask for them) are built from its fine steps, so all
// step sizes see the same Brownian path.
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace sdekit_test {

/// The cached path of particle p for the order tests: fine step 2^-fine_level on [0, 1], `dimension` processes.
inline sdekit::BrownianPath order_test_path(std::uint64_t seed, std::uint64_t p, int fine_level,
                                            std::size_t dimension) {
  sdekit::BrownianPath path(seed, 0.0, std::ldexp(1.0, -fine_level), dimension, p);
  path.cache(std::size_t{1} << fine_level);
  return path;
}

/// Mean over `paths` paths of |X_T(dt) − exact(path)| (Euclidean norm for vectors) for dt = 2^-level,
/// level = first_level … last_level, on [0, T = 1]; paths have fine step 2^-fine_level.
template <class Stepper, class P, class X, class Exact>
std::vector<double> strong_errors(const Stepper& stepper, const P& problem, const X& x0, std::size_t dimension,
                                  int first_level, int last_level, int fine_level, int paths, Exact exact,
                                  std::uint64_t seed = 1) {
  std::vector<double> errors(static_cast<std::size_t>(last_level - first_level + 1), 0.0);
  for (int p = 0; p < paths; ++p) {
    const sdekit::BrownianPath path = order_test_path(seed, static_cast<std::uint64_t>(p), fine_level, dimension);
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
