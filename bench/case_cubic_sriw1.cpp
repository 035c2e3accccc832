// cubic_sriw1 and cubic_em: the cubic problem dx = −¼x(1 − x²) dt + ½(1 − x²) dW from x = 0.5 (Kloeden & Platen's
// test problem, X = tanh(W/2 + artanh x0)) with Rößler's strong order 1.5 scheme SRIW1, and with Euler–Maruyama on
// the same problem, so that one bench run gives SRIW1's cost per step relative to EM (the rate ratio of the two
// lines). SRIW1 takes ΔW and I_(1,0), two normals per step, and evaluates a twice and b four times; the baseline is
// the same SRIW1 step written out by hand with the baseline's normals, I_(1,0) = h(ΔW/2 + √(h/12) ζ).
#include "case_common.hpp"

#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/sriw1.hpp>

namespace sdekit_bench {
namespace {

constexpr double x0 = 0.5, dt = 1e-3;

auto cubic() {
  return sdekit::make_sde([](double x, double) { return -0.25 * x * (1 - x * x); },
                          [](double x, double) { return 0.5 * (1 - x * x); });
}

BenchRun ours_sriw1(const BenchConfig& config) {
  return ensemble_run(config, sdekit::simulate_ensemble(sdekit::Sriw1{}, cubic(), x0, ensemble_options(config, dt)));
}

BenchRun ours_em(const BenchConfig& config) {
  return ensemble_run(config,
                      sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, cubic(), x0, ensemble_options(config, dt)));
}

double a(double x) { return -0.25 * x * (1 - x * x); }
double b(double x) { return 0.5 * (1 - x * x); }

BenchRun baseline_sriw1(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(config.particles);
  const double h = dt, sqrt_h = std::sqrt(dt), area = std::sqrt(dt / 12);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = x0;
    for (std::size_t k = 0; k < config.steps; ++k) {
      const double dw = sqrt_h * rng();
      const double chi2 = 0.5 * dw + area * rng();  // I_(1,0)/h
      const double chi1 = (dw * dw - h) / (2 * sqrt_h), chi3 = (dw * dw * dw - 3 * h * dw) / (6 * h);
      const double a1 = a(x), b1 = b(x);
      const double a2 = a(x + 0.75 * h * a1 + 1.5 * b1 * chi2);
      const double b2 = b(x + 0.25 * h * a1 + 0.5 * b1 * sqrt_h);
      const double b3 = b(x + h * a1 - b1 * sqrt_h);
      const double b4 = b(x + 0.25 * h * a1 + sqrt_h * (-5 * b1 + 3 * b2 + 0.5 * b3));
      x += h * (a1 + 2 * a2) / 3 + dw * (-b1 + 4 * b2 / 3 + 2 * b3 / 3) + chi1 * (-b1 + 4 * b2 / 3 - b3 / 3) +
           chi2 * (2 * b1 - 4 * b2 / 3 - 2 * b3 / 3) + chi3 * (-2 * b1 + 5 * b2 / 3 - 2 * b3 / 3 + b4);
    }
    final_states[static_cast<std::size_t>(i)] = x;
  }
  return baseline_run(config, final_states, 1);
}

BenchRun baseline_em(const BenchConfig& config) {
  const long n = static_cast<long>(config.particles);
  std::vector<double> final_states(config.particles);
  const double sqrt_h = std::sqrt(dt);
#pragma omp parallel for schedule(static) num_threads(config.threads)
  for (long i = 0; i < n; ++i) {
    BaselineRng rng(config.seed, static_cast<std::size_t>(i));
    double x = x0;
    for (std::size_t k = 0; k < config.steps; ++k) x += a(x) * dt + b(x) * sqrt_h * rng();
    final_states[static_cast<std::size_t>(i)] = x;
  }
  return baseline_run(config, final_states, 1);
}

const bool registered_em = register_case({"cubic_em", ours_em, baseline_em});
const bool registered_sriw1 = register_case({"cubic_sriw1", ours_sriw1, baseline_sriw1});

}  // namespace
}  // namespace sdekit_bench
