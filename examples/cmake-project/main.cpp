// Integrates an Ornstein–Uhlenbeck process with an installed sdekit and checks the ensemble mean.
#include <sdekit/sdekit.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <cmath>
#include <cstdio>

int main() {
  const double theta = 2.0, mu = 1.0, sigma = 0.5;
  auto ou = sdekit::make_sde([=](double x, double) { return theta * (mu - x); },
                             [=](double, double) { return sigma; }, sdekit::additive);
  sdekit::EnsembleOptions options;
  options.particles = 20000;
  options.t1 = 1.0;
  options.dt = 1e-3;
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, options);
  const double exact = mu * (1 - std::exp(-theta));
  const double mean = result.statistics.back().mean[0];
  const double se = result.statistics.back().standard_error()[0];
  std::printf("sdekit consumer: OU mean at t=1 %.4f, exact %.4f (%.1f standard errors)\n", mean, exact,
              std::abs(mean - exact) / se);
  return std::abs(mean - exact) < 5 * se ? 0 : 1;
}
