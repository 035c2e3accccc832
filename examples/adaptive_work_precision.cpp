// Work–precision of adaptive against fixed steps on a path with sharp transitions: the stochastic van der Pol
// oscillator in Liénard form, dx = μ(x − x³/3 − y) dt, dy = (x/μ) dt + σ dW with μ = 10, σ = 0.2 on [0, 20], whose x
// creeps along a stable branch and jumps to the other in a time O(1/μ). SRA1 on each path's virtual Brownian tree:
//
//   error  mean over the paths of |X_T − reference| (Euclidean norm), the reference SRA1 with 2^17 fixed steps on
//          the same tree
//   work   SRA1 steps per path: fixed 2^j, j = 8 … 14; adaptive: attempts (accepted and rejected), three per attempt
//          for step doubling
//
// for adaptive steps with the default estimate (embedded, global error control), with per-step error control, and
// with step doubling, at tolerances 10^-2 … 10^-5.5. Writes adaptive_work_precision.csv (and .dat),
// adaptive_work_precision_table.txt (each adaptive point against fixed steps at equal work, quoted by docs/adaptive.md)
// and, with gnuplot, adaptive_work_precision.png (docs/adaptive.md shows it). Option: --paths N (default 8).
#include "gnuplot.hpp"

#include <sdekit/core/adaptive.hpp>
#include <sdekit/core/integrate.hpp>
#include <sdekit/solvers/sra1.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using V = Eigen::Vector2d;
constexpr double mu = 10.0, sigma = 0.2, T = 20.0;
constexpr int depth = 24;

auto van_der_pol() {
  return sdekit::make_sde([](const V& v, double) { return V(mu * (v[0] - v[0] * v[0] * v[0] / 3 - v[1]), v[0] / mu); },
                          [](const V&, double) { return V(0.0, sigma); }, sdekit::additive);
}

/// A curve: its name and (work, error) points.
struct Curve {
  std::string name;
  std::vector<double> work, error;
  std::vector<double> tol;  // empty for fixed steps
};

/// The fixed-step error at `work` steps, log-linear in the fixed curve's points (extrapolated past its ends).
double fixed_error_at(const Curve& fixed, double work) {
  std::size_t i = 1;
  while (i + 1 < fixed.work.size() && fixed.work[i] < work) ++i;
  const double a = std::log(work / fixed.work[i - 1]) / std::log(fixed.work[i] / fixed.work[i - 1]);
  return std::exp((1 - a) * std::log(fixed.error[i - 1]) + a * std::log(fixed.error[i]));
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t paths = 8;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--paths") == 0) paths = static_cast<std::size_t>(std::atol(argv[i + 1]));
  const auto problem = van_der_pol();
  sdekit::Sra1 stepper;
  auto fixed_run = [&](std::size_t p, int j) {
    sdekit::BrownianTree tree(8, 0.0, T, depth, 2, p);
    V v(2.0, 0.0);
    sdekit::integrate(stepper, problem, v, 0.0, T, std::ldexp(T, -j), tree);
    return v;
  };
  std::vector<V> reference(paths);
  for (std::size_t p = 0; p < paths; ++p) reference[p] = fixed_run(p, 17);

  std::vector<Curve> curves;
  Curve fixed{"fixed steps", {}, {}, {}};
  for (int j = 8; j <= 14; ++j) {
    double error = 0;
    for (std::size_t p = 0; p < paths; ++p) error += (fixed_run(p, j) - reference[p]).norm();
    fixed.work.push_back(std::ldexp(1.0, j));
    fixed.error.push_back(error / static_cast<double>(paths));
  }
  curves.push_back(fixed);

  struct Variant {
    const char* name;
    sdekit::ErrorControl control;
    sdekit::ErrorEstimator estimator;
    double work_per_attempt;
  };
  const Variant variants[] = {
      {"adaptive (default: embedded, global control)", sdekit::ErrorControl::global, sdekit::ErrorEstimator::automatic,
       1.0},
      {"adaptive, per-step control", sdekit::ErrorControl::per_step, sdekit::ErrorEstimator::automatic, 1.0},
      {"adaptive, step doubling", sdekit::ErrorControl::global, sdekit::ErrorEstimator::step_doubling, 3.0}};
  for (const Variant& variant : variants) {
    Curve curve{variant.name, {}, {}, {}};
    for (double exponent = 2.0; exponent <= 5.5; exponent += 0.5) {
      const double tol = std::pow(10.0, -exponent);
      double error = 0, work = 0;
      for (std::size_t p = 0; p < paths; ++p) {
        sdekit::BrownianTree tree(8, 0.0, T, depth, 2, p);
        V v(2.0, 0.0);
        sdekit::AdaptiveOptions options;
        options.atol = options.rtol = tol;
        options.error_control = variant.control;
        options.estimator = variant.estimator;
        const auto r = sdekit::integrate_adaptive(stepper, problem, v, tree, options);
        if (r.stop != sdekit::AdaptiveStop::reached_end) {
          std::printf("%s, tol %g: path %zu stopped (%s)\n", variant.name, tol, p, sdekit::to_string(r.stop));
          return 1;
        }
        error += (v - reference[p]).norm();
        work += variant.work_per_attempt * static_cast<double>(r.accepted + r.rejected);
      }
      curve.tol.push_back(tol);
      curve.work.push_back(work / static_cast<double>(paths));
      curve.error.push_back(error / static_cast<double>(paths));
      if (curve.work.back() > 2e5) break;  // step doubling at small tolerances: far off the fixed curve already
    }
    curves.push_back(curve);
  }

  // The CSV for reading; for gnuplot the same points as one block per curve (blocks apart by two blank lines).
  std::ofstream csv("adaptive_work_precision.csv");
  std::ofstream blocks("adaptive_work_precision.dat");
  csv << "method,work,error\n";
  for (const Curve& c : curves) {
    std::printf("%s\n", c.name.c_str());
    for (std::size_t i = 0; i < c.work.size(); ++i) {
      std::printf("  %10.1f SRA1 steps  error %.3e\n", c.work[i], c.error[i]);
      csv << '"' << c.name << "\"," << c.work[i] << ',' << c.error[i] << '\n';
      blocks << c.work[i] << ' ' << c.error[i] << '\n';
    }
    blocks << "\n\n";
  }
  csv.close();
  blocks.close();
  // The table docs/adaptive.md quotes: each adaptive point against fixed steps at the same work (gain = fixed error /
  // adaptive error, > 1 when adaptive wins; * where the fixed curve is extrapolated).
  std::FILE* table = std::fopen("adaptive_work_precision_table.txt", "w");
  std::fprintf(table, "%-46s %8s %10s %10s %10s %6s\n", "method", "tol", "work", "error", "fixed", "gain");
  for (std::size_t c = 1; c < curves.size(); ++c)
    for (std::size_t i = 0; i < curves[c].work.size(); ++i) {
      const double w = curves[c].work[i];
      const double f = fixed_error_at(fixed, w);
      const bool outside = w < fixed.work.front() || w > fixed.work.back();
      std::fprintf(table, "%-46s %8.1e %10.1f %10.3e %10.3e %5.2f%s\n", curves[c].name.c_str(), curves[c].tol[i], w,
                   curves[c].error[i], f, f / curves[c].error[i], outside ? "*" : " ");
    }
  std::fclose(table);
  std::printf("wrote adaptive_work_precision_table.txt\n");
  std::string plot =
      "set logscale xy\nset grid\nset key top right\nset format y '%.0e'\n"
      "set xlabel 'work (SRA1 steps per path)'\nset ylabel 'mean error at T = 20'\n"
      "set title 'stochastic van der Pol (mu = 10, sigma = 0.2, 8 paths): adaptive vs fixed steps'\nplot ";
  for (std::size_t i = 0; i < curves.size(); ++i)
    plot += std::string(i ? ", " : "") + "'adaptive_work_precision.dat' index " + std::to_string(i) +
            " using 1:2 with linespoints lw 2 title '" + curves[i].name + "'";
  plot += "\n";
  sdekit_examples::draw_with_gnuplot("adaptive_work_precision.gp", "adaptive_work_precision.png", plot);
  return 0;
}
