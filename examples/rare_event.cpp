// A rare-event probability without keeping the particles: P(X_T > c) ≈ 1e-6 for an Ornstein–Uhlenbeck process,
// estimated by a statistics-only ensemble (an indicator reduction with its standard error) and checked against
// the exact Gaussian tail. Euler–Maruyama on dX = −θX dt + σ dW from X_0 = 0 is the linear recursion
// X_{k+1} = (1 − θh) X_k + σ√h Z_k, so X_T is exactly N(0, v) with v = σ²h Σ_{j<K} (1 − θh)^{2j}: the estimate can
// be judged without discretisation bias. The threshold c = √v Φ⁻¹(1 − 10⁻⁶) makes the probability 10⁻⁶.
//
// Usage: rare_event [particles] [threads]   (default 10^7 particles, OpenMP's default threads; 10^9 for the docs)
// Prints the estimate, the exact value, the z-score, the time, the throughput and the peak memory (VmHWM), writes
// rare_event.csv (the histogram of X_T against the exact density) and plots it (rare_event.png, through gnuplot).
#include <sdekit/ensemble.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <span>
#include <string>

namespace {

// Peak resident memory of this process in MiB (Linux: VmHWM in /proc/self/status), or −1 if unavailable.
double peak_memory_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return -1.0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t particles = argc > 1 ? static_cast<std::size_t>(std::strtod(argv[1], nullptr)) : 10000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  constexpr double theta = 1.0, sigma = 1.0, T = 1.0, h = 0.05;
  const std::size_t steps = static_cast<std::size_t>(std::lround(T / h));
  double v = 0.0;
  for (std::size_t j = 0; j < steps; ++j) v += std::pow(1.0 - theta * h, 2.0 * static_cast<double>(j));
  v *= sigma * sigma * h;
  const double target = 1e-6;
  const double c = std::sqrt(v) * sdekit::normal_quantile(1.0 - target);
  const double exact = 0.5 * std::erfc(c / std::sqrt(2.0 * v));  // 1 − Φ(c/√v) without cancellation

  const auto start = std::chrono::steady_clock::now();
  //[ rare_event
  const auto ou = sdekit::make_sde([](double x, double) { return -theta * x; }, [](double, double) { return sigma; },
                                   sdekit::additive);
  sdekit::EnsembleOptions options;
  options.particles = particles;
  options.threads = threads;
  options.seed = 2026;
  options.t1 = T;
  options.dt = h;
  options.statistics.storage = sdekit::Storage::statistics_only;  // memory independent of the particle count
  options.statistics.reductions = {{"X_T > c", [c](std::span<const double> x) { return x[0] > c ? 1.0 : 0.0; }}};
  options.statistics.histograms = {{0, 120, -6.0, 6.0}};
  options.progress = sdekit::ProgressBar("rare event");
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, 0.0, options);
  const sdekit::ReductionStatistics& tail = result.statistics.back().reductions[0];
  //]
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double z = (tail.mean - exact) / tail.standard_error;
  std::printf("OU dX = -%g X dt + %g dW, X_0 = 0, T = %g, Euler-Maruyama h = %g (%zu steps)\n", theta, sigma, T, h,
              steps);
  std::printf("threshold c = %.6f (X_T ~ N(0, %.6f) exactly for this chain)\n\n", c, v);
  std::printf("particles            %zu (%zu failed)\n", result.particles, result.failures.size());
  std::printf("hits                 %.0f\n", tail.mean * static_cast<double>(tail.count));
  std::printf("P(X_T > c) estimate  %.4e +- %.2e (standard error)\n", tail.mean, tail.standard_error);
  std::printf("exact                %.4e\n", exact);
  std::printf("z = (estimate - exact) / SE = %.2f  (%s 4.5)\n", z, std::abs(z) < 4.5 ? "within" : "OUTSIDE");
  std::printf("mean %.3e, variance %.6f (exact %.6f)\n", result.statistics.back().mean[0],
              result.statistics.back().variance[0], v);
  std::printf("time %.1f s, %.3g particle-steps/s, peak memory (VmHWM) %.1f MiB\n", seconds,
              static_cast<double>(particles) * static_cast<double>(steps) / seconds, peak_memory_mib());

  const sdekit::Histogram& hist = result.statistics.back().histograms[0];
  const std::string csv = "rare_event.csv";
  {
    std::ofstream out(csv);
    out << "x,histogram_density,exact_density\n";
    for (std::size_t i = 0; i < hist.counts.size(); ++i) {
      const double x = hist.bin_center(i);
      out << x << ',' << hist.density(i) << ',' << std::exp(-x * x / (2 * v)) / std::sqrt(2 * std::numbers::pi * v)
          << '\n';
    }
  }
  std::printf("wrote %s\n", csv.c_str());
  const std::string script = "rare_event.gp";
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 800,500 noenhanced\n"
          "set output 'rare_event.png'\n"
          "set datafile separator ','\n"
          "set title 'OU at T = 1: statistics-only histogram vs exact N(0, v) density (log scale)'\n"
          "set xlabel 'x'\nset ylabel 'density'\nset logscale y\nset key top right\n"
          "set arrow from "
       << c << ", graph 0 to " << c << ", graph 1 nohead dt 2\n"
       << "plot '" << csv
       << "' using 1:($2 > 0 ? $2 : 1/0) with points pt 7 ps 0.6 title 'histogram', \\\n"
          "     '' using 1:3 with lines lw 2 title 'exact density'\n";
  }
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    if (std::system(("gnuplot " + script).c_str()) == 0) std::printf("wrote rare_event.png\n");
    else std::printf("gnuplot failed; the script is %s\n", script.c_str());
  } else {
    std::printf("gnuplot not found: skipped the picture (script left in %s)\n", script.c_str());
  }
  return std::abs(z) < 4.5 ? 0 : 1;
}
