// The README's "taste of the API", compiled and run so that it stays true.
//[ taste
#include <sdekit/sdekit.hpp>
//]

#include <cmath>
#include <cstdio>

int main() {
  //[ taste
  auto gbm = sdekit::make_sde([](double x, double) { return 1.5 * x; },   // drift a(x, t)
                              [](double x, double) { return 1.0 * x; });  // diffusion b(x, t): scalar noise

  // One path, given a noise source: here Wiener increments of particle 0 under seed 42.
  double x = 1.0;
  sdekit::Milstein milstein;
  sdekit::integrate(milstein, gbm, x, 0.0, 1.0, 1e-3, sdekit::GaussianNoise(42),
                    [](double, double) { /* observer: called at t0 and after every step */ });

  // 10^5 particles in parallel; statistics at chosen save times, bitwise equal for any thread count.
  sdekit::EnsembleOptions options;
  options.particles = 100'000;
  options.dt = 1e-3;
  options.save_times = {0.5, 1.0};
  auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, gbm, 1.0, options);
  double mean = result.statistics[1].mean[0];  // also variance, covariance, min, max, alive
  double median = result.quantile(1, 0, 0.5);  // exact quantiles from every particle's state
  //]

  std::printf("one Milstein path: X(1) = %.4f\n", x);
  std::printf("10^5 particles at t = 1: mean %.4f (exact e^1.5 = %.4f), median %.4f (exact e^1 = %.4f)\n", mean,
              std::exp(1.5), median, std::exp(1.0));
}
