// The stochastic heat equation du = u_xx dt + dW(x, t) on [0, 1] with u(0) = u(1) = 0 and space-time white noise,
// discretised by finite differences on N interior points (h = 1/(N + 1)):
//   du_i = (u_{i−1} − 2u_i + u_{i+1}) / h² dt + h^{-1/2} dW_i.
// Its fastest mode decays at rate ≈ 4/h², so explicit Euler–Maruyama needs dt < h²/2 (7.6e-6 for N = 256). The
// θ-method (θ = 1) with the drift declared linear and its tridiagonal Jacobian given as a sparse matrix runs at 100
// times that step; the LU of I − dt·L is computed once per step size and reused. The report compares the stationary
// variance at N = 256 and 1024 with the exact one of the discretised SDE and with the θ-method's own stationary law
// (both in closed form over the sine modes), times a step against N (a banded solve: about linear in N; a dense LU
// grows like N³), and draws one path in space and time.
#include <sdekit/sdekit.hpp>

#include <Eigen/LU>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>

#include <algorithm>
#include <array>
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
// pattern is the sparsity SparseLU uses).
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

// One draw of the SDE's stationary law on n points: u = Σ_k v_k √(q/(−2λ_k)) ξ_k over the sine modes.
Vector stationary_draw(int n, sdekit::RandomStream& rng) {
  const double h = 1.0 / (n + 1), q = 1.0 / h;
  Vector u = Vector::Zero(n);
  for (int k = 1; k <= n; ++k) {
    const double lambda = -4.0 / (h * h) * std::pow(std::sin(k * M_PI / (2.0 * (n + 1))), 2);
    const double amplitude = std::sqrt(q / (-2 * lambda)) * rng.normal() * std::sqrt(2.0 / (n + 1));
    for (int i = 0; i < n; ++i) u[i] += amplitude * std::sin(k * M_PI * (i + 1) / (n + 1));
  }
  return u;
}

}  // namespace

int main() {
  std::FILE* report = std::fopen("stochastic_heat.txt", "w");
  auto both = [&](const char* format, auto... values) {
    std::printf(format, values...);
    std::fprintf(report, format, values...);
  };
  sdekit::ThetaMethod backward(1.0);

  // ---- Stationary variance at N = 256 and 1024, dt = 100 × the explicit limit ----
  // N = 256 starts from u = 0 and runs to t = 0.4 (the slowest mode's variance relaxes as e^{−2π² t}: e^{−7.9}).
  // N = 1024 would need 8400 such steps; it starts from the SDE's own stationary law instead and runs to t = 0.01,
  // long enough for every mode that backward Euler changes to relax to the scheme's law (dt|λ_k|/2 > 1 % needs
  // |λ_k| > 420, relaxed by e^{−8.4} or more at t = 0.01), so the comparison still tests the scheme's stationary law.
  auto stationary_report = [&](int n, std::size_t particles, double t1, bool from_stationary) {
    const double h = 1.0 / (n + 1);
    const double explicit_limit = h * h / 2;
    const double dt = 100 * explicit_limit;
    sdekit::EnsembleOptions options;
    options.particles = particles;
    options.seed = 2026;
    options.dt = dt;
    options.t1 = t1;
    const auto problem = heat_sparse(n);
    const auto result =
        from_stationary ? sdekit::simulate_ensemble(
                              backward, problem,
                              [n](std::size_t, sdekit::RandomStream& rng) { return stationary_draw(n, rng); }, options)
                        : sdekit::simulate_ensemble(backward, problem, Vector(Vector::Zero(n)), options);
    both(
        "stochastic heat equation, N = %d, explicit EM limit dt < %.3g, theta = 1 at dt = %.3g (100x), %zu particles, "
        "from %s to t = %g, %zu failed\n",
        n, explicit_limit, dt, options.particles, from_stationary ? "the SDE's stationary law" : "u = 0", t1,
        result.failures.size());
    const Eigen::VectorXd variance = result.statistics.back().variance;
    both("%-8s %-10s %-22s %-18s %-18s\n", "x", "measured", "(SE)", "theta=1 exact", "SDE exact");
    for (int i : {n / 8, n / 4, n / 2 - 1}) {
      const double x = (i + 1) * h;
      const double se = variance[i] * std::sqrt(2.0 / double(options.particles - 1));
      both("%-8.3f %-10.4f (%.4f, %+5.1f SE)     %-18.4f %-18.4f\n", x, variance[i], se,
           (variance[i] - stationary_variance(n, i, dt)) / se, stationary_variance(n, i, dt),
           stationary_variance(n, i, 0.0));
    }
  };
  stationary_report(256, 200, 0.4, false);
  stationary_report(1024, 200, 0.01, true);
  both(
      "continuum limit at x = 1/2: x(1 - x)/2 = 0.125. Backward Euler damps the fast modes (variance factor\n"
      "1/(1 + dt|lambda_k|/2), 1/101 for the fastest): the slow modes that carry the large-scale field are kept.\n");

  // ---- Cost per step against N ----
  // With the drift declared linear and constant, the θ-method factorises I − dt·L once per step size and then solves
  // (core/newton.hpp): a step costs the banded solve, O(N). Also timed: one sparse factorisation and solve, O(N) for
  // a tridiagonal matrix, and one dense one, O(N³). Best of 3 runs (one for the dense N = 1024); the exponent is
  // log(t(1024)/t(256)) / log 4.
  Eigen::setNbThreads(1);  // Eigen's own OpenMP threads would time the machine's load, not the factorisation
  std::printf("\ncost against N (theta = 1, seconds; best of 3, dense at N = 1024: one run):\n");
  std::printf("%-6s %-22s %-22s %-22s\n", "N", "step (LU reused)", "sparse LU + solve", "dense LU + solve");
  std::vector<std::array<double, 3>> costs;
  for (int size : {64, 256, 1024}) {
    const auto sparse_problem = heat_sparse(size);
    const double step = 100 * 0.5 / double(size + 1) / double(size + 1);
    auto best_of = [](int runs, auto&& run) {
      double best = 1e300;
      for (int r = 0; r < runs; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const double per = run();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / per);
      }
      return best;
    };
    const double step_time = best_of(3, [&] {
      Vector u = Vector::Zero(size);
      sdekit::integrate(backward, sparse_problem, u, 0.0, 200 * step, step, sdekit::GaussianNoise(1, 0));
      return 200.0;
    });
    const Eigen::SparseMatrix<double> L = laplacian(size);
    Eigen::SparseMatrix<double> identity(size, size);
    identity.setIdentity();
    const Eigen::SparseMatrix<double> M = identity - step * L;
    const Vector rhs = Vector::Ones(size);
    double sink = 0;
    const double sparse_time = best_of(3, [&] {
      for (int r = 0; r < 20; ++r) {
        Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(M);
        sink += lu.solve(rhs)[0];
      }
      return 20.0;
    });
    const Eigen::MatrixXd dense(M);
    const double dense_time = best_of(size <= 256 ? 3 : 1, [&] {
      Eigen::PartialPivLU<Eigen::MatrixXd> lu(dense);
      sink += lu.solve(rhs)[0];
      return 1.0;
    });
    if (!std::isfinite(sink)) std::printf("non-finite solve\n");
    costs.push_back({step_time, sparse_time, dense_time});
    std::printf("%-6d %-22.3g %-22.3g %-22.3g\n", size, step_time, sparse_time, dense_time);
  }
  std::printf("exponent 256 -> 1024: %-14.2f %-22.2f %-22.2f (banded: 1, dense LU: 3)\n",
              std::log(costs[2][0] / costs[1][0]) / std::log(4.0), std::log(costs[2][1] / costs[1][1]) / std::log(4.0),
              std::log(costs[2][2] / costs[1][2]) / std::log(4.0));

  const int n = 256;
  const double h = 1.0 / (n + 1);
  const double dt = 100 * h * h / 2;
  const auto problem = heat_sparse(n);

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
