// Integrates an Ornstein–Uhlenbeck process with an installed sdekit, checks the ensemble mean, and fits the
// process back from one simulated path (the forecast component, found with COMPONENTS forecast).
#include <sdekit/core/integrate.hpp>
#include <sdekit/ensemble.hpp>
#include <sdekit/forecast.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/version.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  const double theta = 2.0, mu = 1.0, sigma = 0.5;
  auto ou = sdekit::make_sde([=](double x, double) { return theta * (mu - x); }, [=](double, double) { return sigma; },
                             sdekit::additive);
  sdekit::EnsembleOptions options;
  options.particles = 20000;
  options.t1 = 1.0;
  options.dt = 1e-3;
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, options);
  const double exact = mu * (1 - std::exp(-theta));
  const double mean = result.statistics.back().mean[0];
  const double se = result.statistics.back().standard_error()[0];
  std::printf("sdekit %s consumer: OU mean at t=1 %.4f, exact %.4f (%.1f standard errors)\n", sdekit::version_string,
              mean, exact, std::abs(mean - exact) / se);

  std::vector<double> times, values;
  double x = 0.0;
  sdekit::EulerMaruyama em;
  sdekit::integrate(em, ou, x, 0.0, 50.0, 1e-3, sdekit::GaussianNoise(7), [&](double xt, double t) {
    if (std::abs(t * 10 - std::round(t * 10)) < 1e-9) {
      times.push_back(t);
      values.push_back(xt);
    }
  });
  const sdekit::FitResult fit = sdekit::fit_ornstein_uhlenbeck(times, values);
  std::printf("OU fit from %zu observations: mean level %.3f (true %.1f)\n", values.size(), fit.parameter("mu"), mu);
  return std::abs(mean - exact) < 5 * se && std::abs(fit.parameter("mu") - mu) < 0.5 ? 0 : 1;
}
