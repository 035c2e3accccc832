// The compiled snippets of docs/forecasting.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  // Data: one path of the double well dX = (X − X³)dt + 0.7 dW, observed every 0.01 up to t = 40.
  auto sde = sdekit::make_sde([](double x, double) { return x - x * x * x; }, [](double, double) { return 0.7; },
                              sdekit::additive);
  std::vector<double> t;
  for (int k = 0; k <= 4000; ++k) t.push_back(0.01 * k);
  sdekit::EnsembleOptions o;
  o.particles = 1;
  o.seed = 61;
  o.t1 = t.back();
  o.dt = 1e-3;
  o.save_times = t;
  const auto r = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, 0.5, o);
  std::vector<double> x(t.size());
  for (std::size_t k = 0; k < t.size(); ++k) x[k] = r.values[k](0, 0);

  //[ fit_euler
  const auto drift = [](double y, double, const Eigen::VectorXd& p) { return p[0] * y - p[1] * y * y * y; };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[2]; };
  sdekit::ParameterSpec spec{{"alpha", "beta", "sigma"},
                             Eigen::Vector3d(0.3, 0.3, 1.5),
                             Eigen::Vector3d(-10, -10, 0),
                             Eigen::Vector3d(10, 10, 10)};
  const sdekit::FitResult fit = sdekit::fit_euler(t, x, drift, diffusion, spec);
  //]
  check(fit.converged, "the fit converges");
  // σ is well determined by 4000 increments (standard error about 1 %); a 5 % band leaves room for the Euler bias.
  check(std::abs(fit.parameter("sigma") - 0.7) < 0.05 * 0.7, "sigma is recovered");
  return sdekit_snippets::failures;
}
