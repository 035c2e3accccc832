// sdekit quick start: geometric Brownian motion dX = μX dt + σX dW integrated by Euler–Maruyama, Milstein and
// stochastic Heun on one Brownian path and on 1000 paths, compared with the exact solution
// X(t) = x0 exp((μ − σ²/2) t + σ W(t)); the strong orders are measured as the slope of log error against log dt.
#include <sdekit/sdekit.hpp>

#include "gnuplot.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

int main() {
  const double mu = 1.5, sigma = 1.0, x0 = 1.0, T = 1.0;
  // The Itô problem, and the same process written in Stratonovich form (drift μ − σ²/2) for stochastic Heun.
  //[ problem
  auto gbm = sdekit::make_sde([=](double x, double) { return mu * x; }, [=](double x, double) { return sigma * x; });
  auto gbm_stratonovich = sdekit::make_sde([=](double x, double) { return (mu - 0.5 * sigma * sigma) * x; },
                                           [=](double x, double) { return sigma * x; }, sdekit::stratonovich);
  //]
  auto exact = [&](const sdekit::BrownianPath& path) {
    return x0 * std::exp((mu - 0.5 * sigma * sigma) * T + sigma * path.value(T));
  };

  const int first_level = 4, last_level = 10, paths = 1000;
  const double fine_dt = std::ldexp(1.0, -last_level);
  // X(T) of one path for each scheme at dt = 2^-level; the path's increments over coarse steps are sums of its fine
  // increments, so every dt sees the same Brownian motion.
  auto solve = [&](const sdekit::BrownianPath& path, int level, double out[3]) {
    const double dt = std::ldexp(1.0, -level);
    double em = x0, milstein = x0, heun = x0;
    sdekit::EulerMaruyama s1;
    sdekit::Milstein s2;
    sdekit::StochasticHeun s3;
    //[ integrate
    sdekit::integrate(s1, gbm, em, 0.0, T, dt, path);
    //]
    sdekit::integrate(s2, gbm, milstein, 0.0, T, dt, path);
    sdekit::integrate(s3, gbm_stratonovich, heun, 0.0, T, dt, path);
    out[0] = em;
    out[1] = milstein;
    out[2] = heun;
  };

  std::printf("sdekit quick start: dX = %.1f X dt + %.1f X dW, X(0) = %.0f, T = %.0f\n\n", mu, sigma, x0, T);
  const sdekit::BrownianPath one_path(2024, 0.0, fine_dt);
  std::printf("One Brownian path: exact X(T) = %.6f\n", exact(one_path));
  std::printf("  dt        Euler-Maruyama   Milstein         Stochastic Heun\n");
  for (int level = first_level; level <= last_level; level += 2) {
    double x[3];
    solve(one_path, level, x);
    std::printf("  2^-%-2d     %.6f         %.6f         %.6f\n", level, x[0], x[1], x[2]);
  }

  std::vector<std::vector<double>> error(last_level - first_level + 1, std::vector<double>(3, 0.0));
  for (int p = 0; p < paths; ++p) {
    const sdekit::BrownianPath path(2024, 0.0, fine_dt, 1, static_cast<std::uint64_t>(p));
    const double reference = exact(path);
    for (int level = first_level; level <= last_level; ++level) {
      double x[3];
      solve(path, level, x);
      for (int s = 0; s < 3; ++s) error[level - first_level][s] += std::abs(x[s] - reference) / paths;
    }
  }
  std::printf("\nMean error E|X_T - X(T)| over %d paths\n", paths);
  std::printf("  dt        Euler-Maruyama   Milstein         Stochastic Heun\n");
  std::ofstream csv("quickstart_errors.csv");
  csv << "dt,euler_maruyama,milstein,stochastic_heun\n";
  for (int level = first_level; level <= last_level; ++level) {
    const auto& e = error[level - first_level];
    std::printf("  2^-%-2d     %.3e        %.3e        %.3e\n", level, e[0], e[1], e[2]);
    csv << std::ldexp(1.0, -level) << ',' << e[0] << ',' << e[1] << ',' << e[2] << '\n';
  }
  // Least-squares slope of log error against log dt.
  double order[3];
  for (int s = 0; s < 3; ++s) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const double n = last_level - first_level + 1;
    for (int level = first_level; level <= last_level; ++level) {
      const double lx = -level * std::log(2.0), ly = std::log(error[level - first_level][s]);
      sx += lx;
      sy += ly;
      sxx += lx * lx;
      sxy += lx * ly;
    }
    order[s] = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  }
  // Each stepper declares its order on a given problem and state type (Euler–Maruyama: 0.5 here, 1.0 on additive
  // noise).
  using Gbm = decltype(gbm);
  using GbmStratonovich = decltype(gbm_stratonovich);
  std::printf("\nStrong order   measured   theory\n");
  std::printf("  Euler-Maruyama   %.2f      %.1f\n", order[0],
              sdekit::strong_order_v<sdekit::EulerMaruyama, Gbm, double>);
  std::printf("  Milstein         %.2f      %.1f\n", order[1], sdekit::strong_order_v<sdekit::Milstein, Gbm, double>);
  std::printf("  Stochastic Heun  %.2f      %.1f\n", order[2],
              sdekit::strong_order_v<sdekit::StochasticHeun, GbmStratonovich, double>);
  csv.close();
  std::printf("\nwrote quickstart_errors.csv\n");
  // The error against dt on log-log axes: the slopes are the strong orders.
  sdekit_examples::draw_with_gnuplot(
      "quickstart_errors.gp", "quickstart_errors.png",
      "set title 'GBM, mean strong error at T = 1 over 1000 Brownian paths'\n"
      "set logscale xy\nset xlabel 'step dt'\nset ylabel 'E|X_T - X(T)|'\nset key top left\n"
      "set datafile separator ','\n"
      "plot 'quickstart_errors.csv' skip 1 using 1:2 with linespoints lw 2 title 'Euler-Maruyama', "
      "'' skip 1 using 1:3 with linespoints lw 2 title 'Milstein', "
      "'' skip 1 using 1:4 with linespoints lw 2 title 'stochastic Heun'\n");
}
