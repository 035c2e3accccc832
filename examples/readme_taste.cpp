// The README's "taste of the API", compiled and run so that it stays true.
//[ taste
#include <sdekit/sdekit.hpp>
//]

#include "gnuplot.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>

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

  // The distribution of X(1) over the particles against the exact lognormal density.
  const sdekit::Histogram h = result.histogram(1, 0, 80, 0.0, 20.0);
  std::ofstream csv("readme_taste_histogram.csv");
  csv << "x,density,exact_density\n";
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    const double center = h.bin_center(i);
    // log X(1) ~ N(μ − σ²/2, σ²) = N(1, 1).
    const double exact = std::exp(-0.5 * (std::log(center) - 1.0) * (std::log(center) - 1.0)) /
                         (center * std::sqrt(2.0 * 3.141592653589793));
    csv << center << ',' << h.density(i) << ',' << exact << '\n';
  }
  csv.close();
  std::printf("wrote readme_taste_histogram.csv\n");
  sdekit_examples::draw_with_gnuplot("readme_taste_histogram.gp", "readme_taste_histogram.png",
                                     "set title 'GBM X(1), 10^5 particles (Euler-Maruyama, dt = 1e-3)'\n"
                                     "set xlabel 'X(1)'\nset ylabel 'density'\nset datafile separator ','\n"
                                     "plot 'readme_taste_histogram.csv' skip 1 using 1:2 with boxes title 'particles', "
                                     "'' skip 1 using 1:3 with lines lw 2 title 'exact lognormal'\n");
}
