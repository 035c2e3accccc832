// Bursty gene expression: the two-state (telegraph) gene model with mRNA and protein, simulated exactly (SSA), as a
// chemical Langevin SDE and by its rate equations, with the SSA's stationary mRNA distribution checked against the
// exact Peccoud–Ycart result.
//   gene on      G_off -> G_on          at k_on              (0.5 per unit time)
//   gene off     G_on  -> G_off         at k_off             (2: the gene is on 20% of the time)
//   transcribe   G_on  -> G_on + M      at nu                (40: bursts of nu/k_off = 20 mRNA on average)
//   mRNA decay   M -> 0                 at delta · M         (delta = 1 sets the time unit)
//   translate    M -> M + P             at kappa · M         (5)
//   protein decay P -> 0                at gamma · P         (0.2)
// Peccoud & Ycart (1995), "Markovian modeling of gene-product synthesis", Theor. Popul. Biol. 48:222: with
// a = k_on/delta, b = k_off/delta, L = nu/delta the stationary mRNA law is
//   P(n) = L^n / n! · Γ(a+n) Γ(a+b) / (Γ(a) Γ(a+b+n)) · 1F1(a+n; a+b+n; −L),
// evaluated here with Kummer's transformation 1F1(α; β; −L) = e^−L 1F1(β−α; β; L), a series of positive terms.
// Prints the three methods' mean and variance of mRNA and protein at T, the SSA histogram against P(n) (each bin
// within 4.5 binomial standard errors, else exit code 1); writes gene_expression_mrna.csv and, with gnuplot,
// gene_expression.png.
#include <sdekit/sdekit.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr double k_on = 0.5, k_off = 2.0, nu = 40.0, delta = 1.0, kappa = 5.0, gamma_p = 0.2;
constexpr double horizon = 40.0;  // 8 protein lifetimes: stationary to well below the sampling error
constexpr int max_count = 120;    // histogram range of mRNA counts

// The Peccoud–Ycart stationary probability of n mRNA (see the file comment).
double telegraph_probability(int n) {
  const double a = k_on / delta, b = k_off / delta, L = nu / delta, beta = a + b + n;
  const double log_prefactor = n * std::log(L) - std::lgamma(n + 1.0) + std::lgamma(a + n) - std::lgamma(a) +
                               std::lgamma(a + b) - std::lgamma(beta) - L;
  double term = 1, sum = 1;  // 1F1(b; beta; L) = Σ_k (b)_k / (beta)_k · L^k / k!
  for (int k = 0; k < 2000 && term > 1e-17 * sum; ++k) {
    term *= (b + k) / (beta + k) * L / (k + 1);
    sum += term;
  }
  return std::exp(log_prefactor) * sum;
}

bool have_gnuplot() { return std::system("command -v gnuplot > /dev/null 2>&1") == 0; }

template <class F>
auto timed(double& seconds, F&& run) {
  const auto start = std::chrono::steady_clock::now();
  auto result = run();
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

int main() {
  //[ telegraph
  const auto gene =
      sdekit::make_reaction_network({"G_off", "G_on", "M", "P"}, {1.0, 0.0, 0.0, 0.0},
                                    sdekit::reaction("gene on", "G_off -> G_on", sdekit::mass_action(k_on)),
                                    sdekit::reaction("gene off", "G_on -> G_off", sdekit::mass_action(k_off)),
                                    sdekit::reaction("transcribe", "G_on -> G_on + M", sdekit::mass_action(nu)),
                                    sdekit::reaction("mRNA decay", "M -> 0", sdekit::mass_action(delta)),
                                    sdekit::reaction("translate", "M -> M + P", sdekit::mass_action(kappa)),
                                    sdekit::reaction("protein decay", "P -> 0", sdekit::mass_action(gamma_p)));
  //]
  sdekit::JumpOptions options;  // observed only at the horizon (no observe_dt)
  options.particles = 8000;
  options.seed = 7;
  options.t1 = horizon;
  options.progress = sdekit::ProgressBar("SSA");
  double ssa_seconds = 0, cle_seconds = 0;
  const auto ssa = timed(ssa_seconds, [&] { return sdekit::simulate_ssa(gene, options); });
  sdekit::EnsembleOptions cle_options;  // the CLE is an SDE: its options have a step
  static_cast<sdekit::RunOptions&>(cle_options) = options;
  cle_options.t0 = options.t0;
  cle_options.t1 = options.t1;
  cle_options.particles = 2000;
  cle_options.seed = 8;
  cle_options.dt = 0.01;
  cle_options.progress = sdekit::ProgressBar("CLE");
  const auto cle = timed(cle_seconds, [&] { return sdekit::simulate_cle(sdekit::EulerMaruyama{}, gene, cle_options); });
  const auto ode = sdekit::solve_rate_equations(gene, {0.0, horizon});

  std::printf("telegraph gene: k_on %.1f, k_off %.1f, nu %.0f, delta %.0f, kappa %.0f, gamma %.1f; state at T = %.0f\n",
              k_on, k_off, nu, delta, kappa, gamma_p, horizon);
  std::printf("%-26s %8s %10s %10s %10s %10s %8s\n", "method", "runs", "mean M", "var M", "mean P", "var P", "time s");
  const auto& s = ssa.statistics.back();
  const auto& c = cle.statistics.back();
  std::printf("%-26s %8zu %10.3f %10.3f %10.2f %10.1f %8.2f\n", "exact SSA", s.alive, s.mean[2], s.variance[2],
              s.mean[3], s.variance[3], ssa_seconds);
  std::printf("%-26s %8zu %10.3f %10.3f %10.2f %10.1f %8.2f\n", "CLE (Euler-Maruyama 0.01)", c.alive, c.mean[2],
              c.variance[2], c.mean[3], c.variance[3], cle_seconds);
  std::printf("%-26s %8s %10.3f %10s %10.2f %10s %8s\n", "rate equations (dopri5)", "-", ode.states[1][2], "-",
              ode.states[1][3], "-", "-");

  // The exact stationary law: mean a/(a+b)·L = 8, variance mean + mean·L·b/((a+b)(a+b+1)).
  std::vector<double> exact(max_count + 1);
  double total = 0, mean = 0, second = 0;
  for (int n = 0; n <= max_count; ++n) {
    exact[static_cast<std::size_t>(n)] = telegraph_probability(n);
    total += exact[static_cast<std::size_t>(n)];
    mean += n * exact[static_cast<std::size_t>(n)];
    second += double(n) * n * exact[static_cast<std::size_t>(n)];
  }
  std::printf("Peccoud-Ycart: total probability on 0..%d = %.12f, mean %.4f, variance %.4f\n", max_count, total, mean,
              second - mean * mean);

  const std::vector<double> m_ssa = ssa.component_values(0, 2), m_cle = cle.component_values(0, 2);
  std::vector<double> h_ssa(max_count + 1, 0.0), h_cle(max_count + 1, 0.0);
  for (double m : m_ssa)
    if (m >= 0 && m <= max_count) h_ssa[static_cast<std::size_t>(m)] += 1.0 / static_cast<double>(m_ssa.size());
  for (double m : m_cle) {
    const double r = std::round(m);  // the CLE state is continuous: nearest count
    if (r >= 0 && r <= max_count) h_cle[static_cast<std::size_t>(r)] += 1.0 / static_cast<double>(m_cle.size());
  }
  // Each bin with an expected count of at least 5 within 4.5 binomial standard errors of P(n).
  int judged = 0, outside = 0;
  double worst = 0;
  for (int n = 0; n <= max_count; ++n) {
    const double p = exact[static_cast<std::size_t>(n)], N = static_cast<double>(m_ssa.size());
    if (p * N < 5) continue;
    ++judged;
    const double z = (h_ssa[static_cast<std::size_t>(n)] - p) / std::sqrt(p * (1 - p) / N);
    worst = std::max(worst, std::abs(z));
    if (std::abs(z) > 4.5) ++outside;
  }
  std::printf("SSA mRNA histogram vs Peccoud-Ycart: %d bins judged, %d beyond 4.5 SE, max |z| = %.2f -> %s\n", judged,
              outside, worst, outside == 0 ? "agrees" : "DISAGREES");

  const std::string csv = "gene_expression_mrna.csv";
  {
    std::ofstream out(csv);
    out << "n,peccoud_ycart,ssa,cle\n";
    for (int n = 0; n <= max_count; ++n)
      out << n << ',' << exact[static_cast<std::size_t>(n)] << ',' << h_ssa[static_cast<std::size_t>(n)] << ','
          << h_cle[static_cast<std::size_t>(n)] << '\n';
  }
  std::printf("wrote %s (columns n, exact P(n), SSA and CLE frequencies)\n", csv.c_str());
  if (!have_gnuplot()) {
    std::printf("gnuplot not found: skipping the picture (install gnuplot-nox)\n");
    return outside == 0 ? 0 : 1;
  }
  const std::string script = "gene_expression.gp";
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 900,500 noenhanced\nset output 'gene_expression.png'\n"
          "set datafile separator ','\nset key top right\nset xlabel 'mRNA count n'\nset ylabel 'probability'\n"
          "set xrange [0:60]\nset title 'Telegraph gene, stationary mRNA: exact (Peccoud-Ycart), SSA, CLE'\n"
          "plot '"
       << csv
       << "' using 1:3 skip 1 with boxes fs solid 0.4 lc rgb '#6baed6' title 'SSA (8000 runs)', "
          "'' using 1:4 skip 1 with lines lw 2 dt 2 lc rgb '#31a354' title 'CLE (2000 runs, rounded)', "
          "'' using 1:2 skip 1 with linespoints pt 7 ps 0.5 lw 2 lc rgb '#a50f15' title 'Peccoud-Ycart'\n";
  }
  if (std::system(("gnuplot " + script).c_str()) == 0)
    std::printf("wrote gene_expression.png (script %s)\n", script.c_str());
  else std::printf("gnuplot failed on %s: no picture\n", script.c_str());
  return outside == 0 ? 0 : 1;
}
