// The stochastic heat equation du = u_xx dt + dW(x, t) on [0, 1] with u(0) = u(1) = 0 and space-time white noise,
// discretised by finite differences on N interior points (h = 1/(N + 1)):
//   du_i = (u_{i−1} − 2u_i + u_{i+1}) / h² dt + h^{-1/2} dW_i.
// Its fastest mode decays at rate ≈ 4/h², so explicit Euler–Maruyama needs dt < h²/2 (7.6e-6 for N = 256). The
// θ-method (θ = 1) with the drift declared linear and its tridiagonal Jacobian given as a sparse matrix runs at 100
// times that step, one sparse LU per step. The report compares the stationary variance with the exact one of the
// discretised SDE and with the θ-method's own stationary law (both in closed form over the sine modes), times a
// step against N (a banded solve: about linear in N; dense LU grows like N³), and draws one path in space and time.
#include <sdekit/sdekit.hpp>

#include <Eigen/SparseCore>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gnuplot.hpp"

namespace {

using Vector = Eigen::VectorXd;

// The discretised Laplacian as a sparse matrix (its pattern is the Jacobian's sparsity).
Eigen::SparseMatrix<double> laplacian(int n) {
  const double inv_h2 = double(n + 1) * double(n + 1);
  std::vector<Eigen::Triplet<double>> entries;
  for (int i = 0; i < n; ++i) {
    entries.emplace_back(i, i, -2 * inv_h2);
    if (i > 0) entries.emplace_back(i, i - 1, inv_h2);
    if (i < n - 1) entries.emplace_back(i, i + 1, inv_h2);
  }
  Eigen::SparseMatrix<double> L(n, n);
  L.setFromTriplets(entries.begin(), entries.end());
  return L;
}

// The heat equation on n points: the drift L u, declared linear with the Jacobian L as a sparse matrix (its
// pattern is the sparsity SparseLU uses) or as a dense one.
auto heat_base(int n) {
  const Eigen::SparseMatrix<double> L = laplacian(n);
  const double noise = std::sqrt(double(n + 1));  // h^{-1/2}
  return sdekit::make_sde([L](const Vector& u, double) -> Vector { return L * u; },
                          [noise](const Vector& u, double) -> Vector { return Vector::Constant(u.size(), noise); },
                          sdekit::additive);
}
auto heat_sparse(int n) {
  const Eigen::SparseMatrix<double> L = laplacian(n);
  return sdekit::with_linear_drift(heat_base(n), [L](const Vector&, double) { return L; });
}
auto heat_dense(int n) {
  const Eigen::MatrixXd L(laplacian(n));
  return sdekit::with_linear_drift(heat_base(n), [L](const Vector&, double) { return L; });
}

// Stationary variance of u_i, summed over the sine modes v_k(i) = √(2/(n+1)) sin(kπi/(n+1)) with eigenvalues
// λ_k = −(4/h²) sin²(kπ/(2(n+1))) and noise intensity q = 1/h: the SDE's q/(−2λ_k), or backward Euler's
// q/(−2λ_k + dt λ_k²) (the fixed point of c = c/(1 − dt λ)² + dt q/(1 − dt λ)²).
double stationary_variance(int n, int i, double dt) {
  const double h = 1.0 / (n + 1), q = 1.0 / h;
  double variance = 0;
  for (int k = 1; k <= n; ++k) {
    const double lambda = -4.0 / (h * h) * std::pow(std::sin(k * M_PI / (2.0 * (n + 1))), 2);
    const double mode = std::sqrt(2.0 / (n + 1)) * std::sin(k * M_PI * (i + 1) / (n + 1));
    variance += mode * mode * q / (-2 * lambda + dt * lambda * lambda);
  }
  return variance;
}

}  // namespace

int main() {
  std::FILE* report = std::fopen("stochastic_heat.txt", "w");
  auto both = [&](const char* format, auto... values) {
    std::printf(format, values...);
    std::fprintf(report, format, values...);
  };

  // ---- Stationary variance at N = 256, dt = 100 × the explicit limit ----
  const int n = 256;
  const double h = 1.0 / (n + 1);
  const double explicit_limit = h * h / 2;
  const double dt = 100 * explicit_limit;
  const auto problem = heat_sparse(n);
  sdekit::EnsembleOptions options;
  options.particles = 200;
  options.seed = 2026;
  options.dt = dt;
  options.t1 = 0.4;  // the slowest mode's variance relaxes from 0 as e^{−2π² t}: e^{−7.9} at t = 0.4
  sdekit::ThetaMethod backward(1.0);
  const auto result = sdekit::simulate_ensemble(backward, problem, Vector(Vector::Zero(n)), options);
  both(
      "stochastic heat equation, N = %d, explicit EM limit dt < %.3g, theta = 1 at dt = %.3g (100x), %zu particles, "
      "%zu failed\n",
      n, explicit_limit, dt, options.particles, result.failures.size());
  const Eigen::VectorXd variance = result.statistics.back().variance;
  both("%-8s %-10s %-22s %-18s %-18s\n", "x", "measured", "(SE)", "theta=1 exact", "SDE exact");
  for (int i : {n / 8, n / 4, n / 2 - 1}) {
    const double x = (i + 1) * h;
    const double se = variance[i] * std::sqrt(2.0 / (options.particles - 1));
    both("%-8.3f %-10.4f (%.4f, %+5.1f SE)     %-18.4f %-18.4f\n", x, variance[i], se,
         (variance[i] - stationary_variance(n, i, dt)) / se, stationary_variance(n, i, dt),
         stationary_variance(n, i, 0.0));
  }
  both(
      "continuum limit at x = 1/2: x(1 - x)/2 = 0.125. Backward Euler damps the fast modes (variance factor\n"
      "1/(1 + dt|lambda_k|/2), 1/101 for the fastest): the slow modes that carry the large-scale field are kept.\n");

  // ---- Cost per step against N: sparse LU (banded) and dense LU ----
  std::printf("\ncost per step (one path, theta = 1, one LU factorisation and solve per step):\n");
  std::printf("%-6s %-16s %-16s\n", "N", "sparse LU", "dense LU");
  for (int size : {64, 256, 1024}) {
    const auto sparse_problem = heat_sparse(size);
    const auto dense_problem = heat_dense(size);
    const double step = 100 * 0.5 / double(size + 1) / double(size + 1);
    auto time_steps = [&](const auto& p, int steps) {
      Vector u = Vector::Zero(size);
      const auto start = std::chrono::steady_clock::now();
      sdekit::integrate(backward, p, u, 0.0, steps * step, step, sdekit::GaussianNoise(1, 0));
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
    };
    const double sparse_time = time_steps(sparse_problem, 200);
    const double dense_time = time_steps(dense_problem, size <= 256 ? 20 : 2);
    std::printf("%-6d %-16.3g %-16.3g s\n", size, sparse_time, dense_time);
  }

  // ---- One path in space and time ----
  {
    sdekit::EnsembleOptions one;
    one.particles = 1;
    one.seed = 7;
    one.dt = dt;
    one.t1 = 0.05;
    for (int k = 1; k <= 100; ++k) one.save_times.push_back(0.0005 * k);
    const Vector start = Vector::NullaryExpr(n, [&](Eigen::Index i) { return std::sin(M_PI * (i + 1) * h); });
    const auto path = sdekit::simulate_ensemble(backward, problem, start, one);
    std::ofstream out("stochastic_heat.csv");
    for (std::size_t s = 0; s < one.save_times.size(); ++s) {
      const Vector u = path.states(s).front();
      for (int i = 0; i < n; ++i) out << one.save_times[s] << ' ' << (i + 1) * h << ' ' << u[i] << '\n';
      out << '\n';
    }
  }
  std::printf("wrote stochastic_heat.csv\n");
  sdekit_examples::draw_with_gnuplot("stochastic_heat.gp", "stochastic_heat.png",
                                     "set xlabel 't'\nset ylabel 'x'\nset title 'stochastic heat equation, N = 256, "
                                     "theta = 1 at 100x the explicit step limit'\nset view map\n"
                                     "splot 'stochastic_heat.csv' using 1:2:3 with pm3d notitle\n");
  std::fclose(report);
  return 0;
}
