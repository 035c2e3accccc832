// Adaptive stepping on the virtual Brownian tree: the error against the exact solution on the same path falls with
// the tolerance (embedded SRIW1 and step-doubling Euler–Maruyama), the steps taken are bitwise independent of the
// tree's query history and of threads, a bistable path takes more steps near its transitions, stop reasons, and
// bad input.
#include <sdekit/core/adaptive.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/ensemble/simulate_adaptive.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/sra1.hpp>
#include <sdekit/solvers/sriw1.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

// The cubic problem dX = −¼X(1 − X²) dt + ½(1 − X²) dW, X = tanh(W/2 + artanh X0) (Kloeden & Platen 4.4).
constexpr double cubic_start = 0.5;
auto cubic() {
  return sdekit::make_sde([](double x, double) { return -0.25 * x * (1 - x * x); },
                          [](double x, double) { return 0.5 * (1 - x * x); });
}
double cubic_exact(double w) { return std::tanh(0.5 * w + std::atanh(cubic_start)); }

// Geometric Brownian motion dX = μX dt + σX dW, X = X0 exp((μ − σ²/2) t + σ W).
constexpr double gbm_mu = 1.5, gbm_sigma = 1.0;
auto gbm() {
  return sdekit::make_sde([](double x, double) { return gbm_mu * x; }, [](double x, double) { return gbm_sigma * x; });
}
double gbm_exact(double w, double t) { return std::exp((gbm_mu - 0.5 * gbm_sigma * gbm_sigma) * t + gbm_sigma * w); }

constexpr int depth = 26;

struct Sweep {
  double error = 0;  // mean |X_T − exact| over the paths
  double steps = 0;  // mean accepted steps
  double rejected = 0;
};

// Mean error at T = 1 and mean steps over `paths` trees, at atol = rtol = tol.
template <class Stepper, class Problem, class Exact>
Sweep sweep(Stepper stepper, const Problem& problem, double x0, Exact exact, double tol, std::size_t paths,
            sdekit::AdaptiveOptions options = {}) {
  Sweep out;
  options.atol = options.rtol = tol;
  for (std::size_t p = 0; p < paths; ++p) {
    sdekit::BrownianTree tree(77, 0.0, 1.0, depth, 1, p);
    double x = x0;
    const auto result = sdekit::integrate_adaptive(stepper, problem, x, tree, options);
    REQUIRE(result.stop == sdekit::AdaptiveStop::reached_end);
    out.error += std::abs(x - exact(tree.value(tree.leaves())));
    out.steps += static_cast<double>(result.accepted);
    out.rejected += static_cast<double>(result.rejected);
  }
  out.error /= static_cast<double>(paths);
  out.steps /= static_cast<double>(paths);
  out.rejected /= static_cast<double>(paths);
  return out;
}

// Least-squares slope of log y against log x.
double log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += std::log(x[i]), my += std::log(y[i]);
  mx /= static_cast<double>(x.size());
  my /= static_cast<double>(x.size());
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (std::log(x[i]) - mx) * (std::log(y[i]) - my);
    sxx += (std::log(x[i]) - mx) * (std::log(x[i]) - mx);
  }
  return sxy / sxx;
}

// The wave problem dX = −0.01 sin X cos³X dt + 0.1 cos²X dW, X = atan(0.1 W + tan X0) (Kloeden & Platen 4.4).
constexpr double wave_start = 1.0;
auto wave() {
  return sdekit::make_sde([](double x, double) { return -0.01 * std::sin(x) * std::pow(std::cos(x), 3); },
                          [](double x, double) { return 0.1 * std::cos(x) * std::cos(x); });
}
double wave_exact(double w) { return std::atan(0.1 * w + std::tan(wave_start)); }

// One row of the tolerance table: a scheme on a problem, the tolerances swept and the bracket its slope must hit.
struct ToleranceRow {
  const char* name;
  std::function<Sweep(double tol, std::size_t paths)> run;
  std::vector<double> tolerances;
  double min_slope, max_slope;
};

template <class Stepper, class Problem, class Exact>
std::function<Sweep(double, std::size_t)> sweeper(Stepper stepper, Problem problem, double x0, Exact exact,
                                                  sdekit::ErrorControl control) {
  return [=](double tol, std::size_t paths) {
    sdekit::AdaptiveOptions options;
    options.error_control = control;
    return sweep(stepper, problem, x0, exact, tol, paths, options);
  };
}

double check_row(const ToleranceRow& row) {
  const std::size_t paths = sdekit_test::scaled(100, 100);  // fewer paths leave the slopes too noisy
  std::vector<double> errors;
  for (double tol : row.tolerances) {
    const Sweep s = row.run(tol, paths);
    MESSAGE(std::string(row.name) << ": tol " << tol << ": mean |error| " << s.error << ", accepted steps " << s.steps
                                  << ", rejected " << s.rejected);
    errors.push_back(s.error);
  }
  for (std::size_t i = 1; i < errors.size(); ++i) CHECK(errors[i] < errors[i - 1]);
  const double slope = log_slope(row.tolerances, errors);
  MESSAGE(std::string(row.name) << ": slope of log error against log tolerance " << slope);
  CHECK(slope > row.min_slope);
  CHECK(slope < row.max_slope);
  return slope;
}

}  // namespace

TEST_CASE("the adaptive error at T falls in proportion to the tolerance") {
  // ErrorControl::global (the default) weighs each step's scaled estimate by (span/h)^(p − q): the estimate is
  // O(h^p) with p = q + ½ for step doubling (the local error of a strong order q scheme; N = span/h independent local
  // errors add up to √N times one) and p = 1 for an embedded estimate (δ E₁ = δ h Σ a_i, and SRIW1's E₂ with its
  // b-differences O(√h) times χ₂ = O(√h)). Then the weighted estimate is O(h^q) like the global error, which
  // therefore falls in proportion to the tolerance: the bracket [0.8, 1.2] on the cubic and wave problems.
  // Measured (100 paths): SRIW1 cubic 0.93, wave 0.96, GBM 0.98 (0.81 and 0.80 over tolerances 10x looser, where the
  // first points are pre-asymptotic). Step doubling with Euler–Maruyama is NOT yet in
  // the bracket: cubic 0.49, wave 0.87, GBM 0.73 over these tolerances (its error falls more slowly than N^-0.5 over
  // these step counts N, e.g. N^-0.33 on the cubic problem), so its rows only check that the error falls.
  // ErrorControl::per_step (what StochasticDiffEq.jl and diffrax bound) gives slope q / p instead, 1.5 for SRIW1 and
  // 0.5 for EM on multiplicative noise: those rows show that the bracket catches an error norm of the wrong order.
  using sdekit::ErrorControl;
  const auto gbm_at_1 = [](double w) { return gbm_exact(w, 1.0); };
  const std::vector<ToleranceRow> rows = {
      {"SRIW1 cubic",
       sweeper(sdekit::Sriw1{}, cubic(), cubic_start, cubic_exact, ErrorControl::global),
       {1e-4, 1e-5, 1e-6, 1e-7},
       0.8,
       1.2},
      {"SRIW1 wave",
       sweeper(sdekit::Sriw1{}, wave(), wave_start, wave_exact, ErrorControl::global),
       {1e-6, 1e-7, 1e-8, 1e-9},
       0.8,
       1.2},
      {"EM cubic (step doubling)",
       sweeper(sdekit::EulerMaruyama{}, cubic(), cubic_start, cubic_exact, ErrorControl::global),
       {0.3, 0.1, 0.03},
       0.4,
       1.2},
      {"EM wave (step doubling)",
       sweeper(sdekit::EulerMaruyama{}, wave(), wave_start, wave_exact, ErrorControl::global),
       {1e-3, 3e-4, 1e-4},
       0.4,
       1.2},
      {"SRIW1 GBM",
       sweeper(sdekit::Sriw1{}, gbm(), 1.0, gbm_at_1, ErrorControl::global),
       {1e-3, 1e-4, 1e-5, 1e-6},
       0.8,
       1.2},
      {"EM GBM (step doubling)",
       sweeper(sdekit::EulerMaruyama{}, gbm(), 1.0, gbm_at_1, ErrorControl::global),
       {1.0, 0.3, 0.1},
       0.4,
       1.2},
      // The per-step meaning: outside the bracket, as the issue measured before (1.48 and 0.49).
      {"SRIW1 GBM, per-step control",
       sweeper(sdekit::Sriw1{}, gbm(), 1.0, gbm_at_1, ErrorControl::per_step),
       {1e-2, 1e-3, 1e-4},
       1.25,
       1.7},
      {"EM GBM (step doubling), per-step control",
       sweeper(sdekit::EulerMaruyama{}, gbm(), 1.0, gbm_at_1, ErrorControl::per_step),
       {1e-1, 1e-2, 1e-3},
       0.35,
       0.65},
  };
  for (const auto& row : rows) check_row(row);
}

namespace {

struct Run {
  std::vector<double> times;
  double x = 0;
  sdekit::AdaptiveResult result;
};

Run run_cubic(sdekit::BrownianTree& tree, double tol) {
  Run run;
  run.x = cubic_start;
  sdekit::AdaptiveOptions options;
  options.atol = options.rtol = tol;
  sdekit::Sriw1 stepper;
  run.result = sdekit::integrate_adaptive(stepper, cubic(), run.x, tree, options,
                                          [&](double, double t) { run.times.push_back(t); });
  return run;
}

bool same_run(const Run& a, const Run& b) {
  return a.times == b.times && std::memcmp(&a.x, &b.x, sizeof(double)) == 0 && a.result.accepted == b.result.accepted &&
         a.result.rejected == b.result.rejected;
}

}  // namespace

TEST_CASE("the steps taken do not depend on the tree's query history or on threads") {
  sdekit::BrownianTree fresh(5, 0.0, 1.0, depth, 1, 3);
  const Run reference = run_cubic(fresh, 1e-6);
  CHECK(reference.result.rejected > 0);  // rejected steps were retried: the comparison covers them
  // A tree that has answered other queries first, in a scrambled order.
  sdekit::BrownianTree used(5, 0.0, 1.0, depth, 1, 3);
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> point(0, used.leaves());
  for (int i = 0; i < 500; ++i) (void)used.value(point(rng));
  CHECK(same_run(run_cubic(used, 1e-6), reference));
  // The same tree run twice (its cache now holds the end of the path).
  CHECK(same_run(run_cubic(used, 1e-6), reference));

  // Particles on threads: each its own tree; the same bits with 1 and 2 threads.
  constexpr int particles = 16;
  std::vector<Run> one(particles), two(particles);
#pragma omp parallel for num_threads(1)
  for (int p = 0; p < particles; ++p) {
    sdekit::BrownianTree tree(5, 0.0, 1.0, depth, 1, static_cast<std::uint64_t>(p));
    one[static_cast<std::size_t>(p)] = run_cubic(tree, 1e-6);
  }
#pragma omp parallel for num_threads(2) schedule(dynamic, 1)
  for (int p = particles - 1; p >= 0; --p) {
    sdekit::BrownianTree tree(5, 0.0, 1.0, depth, 1, static_cast<std::uint64_t>(p));
    two[static_cast<std::size_t>(p)] = run_cubic(tree, 1e-6);
  }
  bool all_same = true;
  for (int p = 0; p < particles; ++p) all_same = all_same && same_run(one[p], two[p]);
  CHECK(all_same);
  CHECK(same_run(one[3], reference));
}

TEST_CASE("a relaxation path takes more steps in its fast transitions between its two stable branches") {
  // The stochastic van der Pol oscillator in Liénard form, dx = μ(x − x³/3 − y) dt, dy = (x/μ) dt + σ dW: for μ = 10
  // x creeps along one of the two stable branches (|x| > 1) and jumps to the other in a time O(1/μ) when y passes
  // ±2/3 — a bistable, stiff-ish path. Additive noise, SRA1's embedded estimate.
  using V = Eigen::Vector2d;
  const double mu = 10.0, sigma = 0.2, T = 60.0;
  auto problem =
      sdekit::make_sde([=](const V& v, double) { return V(mu * (v[0] - v[0] * v[0] * v[0] / 3 - v[1]), v[0] / mu); },
                       [=](const V&, double) { return V(0.0, sigma); }, sdekit::additive);
  sdekit::Sra1 stepper;
  sdekit::AdaptiveOptions options;
  options.atol = options.rtol = 1e-3;
  options.error_control = sdekit::ErrorControl::per_step;  // (as measured below)
  double fast_time = 0, slow_time = 0, last_t = 0;
  std::size_t fast_steps = 0, slow_steps = 0, jumps = 0;
  V v(2.0, 0.0), last = v;
  sdekit::BrownianTree tree(12, 0.0, T, 30, 2, 0);
  const auto result = sdekit::integrate_adaptive(stepper, problem, v, tree, options, [&](const V& value, double t) {
    if (t > 0) {
      const double h = t - last_t, mid = 0.5 * (value[0] + last[0]);
      if (std::abs(mid) < 1.0) fast_time += h, ++fast_steps;
      else if (std::abs(mid) > 1.5) slow_time += h, ++slow_steps;
      if (value[0] * last[0] < 0) ++jumps;
    }
    last_t = t;
    last = value;
  });
  REQUIRE(result.stop == sdekit::AdaptiveStop::reached_end);
  const double fast_rate = static_cast<double>(fast_steps) / fast_time;
  const double slow_rate = static_cast<double>(slow_steps) / slow_time;
  MESSAGE("van der Pol: " << result.accepted << " accepted, " << result.rejected << " rejected, " << jumps
                          << " sign changes of x; steps per unit time " << fast_rate << " for |x| < 1 (" << fast_steps
                          << " steps in " << fast_time << "), " << slow_rate << " for |x| > 1.5 (" << slow_steps
                          << " steps in " << slow_time << ")");
  CHECK(jumps >= 4);
  CHECK(fast_rate > 3 * slow_rate);
  // The tree's cost under adaptive steps of varying size: step ends are snapped to coarse grid points, so each
  // attempt draws a few nodes per Wiener process, not the ~log2(2^30 / steps) a query at a random leaf would.
  const double nodes_per_attempt =
      static_cast<double>(tree.philox_blocks()) / 2.0 / static_cast<double>(result.accepted + result.rejected);
  MESSAGE("van der Pol: " << nodes_per_attempt << " tree nodes drawn per step attempt and Wiener process");
  CHECK(nodes_per_attempt < 4.0);
}

TEST_CASE("work against error on a path with sharp transitions, adaptive and fixed steps") {
  // The van der Pol path of the test above (μ = 10, σ = 0.2) over [0, 20], with two fast jumps, by SRA1. The error
  // at T is against SRA1 with 2^17 fixed steps on the same tree (its own error is far smaller: it falls by a factor
  // of about 2.8 per halving of the step, order 1.5). Work is the number of SRA1 steps (an embedded-estimate attempt
  // costs one, a step-doubling attempt three, rejected ones included). Fixed steps of 2^j for j = 8 … 14 give error
  // against work; the messages give the adaptive error at each tolerance next to the fixed-step error at the same
  // work (log-interpolated, extrapolated past 2^14), for three estimators. Measured (8 paths), fixed/adaptive error
  // at tol 1e-3, 1e-4, 1e-5 under ErrorControl::global: SciML's stage sum 1.35, 1.63, 1.28 (adaptive wins: checked);
  // the Euler difference 1.21, 1.34, 0.97; step doubling 0.57, 0.39, 0.12 (three steps per attempt, and the rejected
  // attempts, cost more than the steps it saves). Under per-step control (the previous default) the stage sum lost:
  // 0.45, 0.54, 0.65 at tol 1e-2 … 1e-4: its O(h) estimate then asks for too many steps on the slow branches.
  using V = Eigen::Vector2d;
  const double mu = 10.0, sigma = 0.2, T = 20.0;
  auto problem =
      sdekit::make_sde([=](const V& v, double) { return V(mu * (v[0] - v[0] * v[0] * v[0] / 3 - v[1]), v[0] / mu); },
                       [=](const V&, double) { return V(0.0, sigma); }, sdekit::additive);
  sdekit::Sra1 stepper;
  const std::size_t paths = sdekit_test::scaled(8, 8);  // the ratios below are measured with 8 paths
  constexpr int depth = 24;
  auto fixed_run = [&](std::size_t p, int j) {
    sdekit::BrownianTree tree(8, 0.0, T, depth, 2, p);
    V v(2.0, 0.0);
    sdekit::integrate(stepper, problem, v, 0.0, T, std::ldexp(T, -j), tree);
    return v;
  };
  std::vector<V> reference(paths);
  for (std::size_t p = 0; p < paths; ++p) reference[p] = fixed_run(p, 17);
  std::vector<double> fixed_work, fixed_error;
  for (int j = 8; j <= 14; ++j) {
    double error = 0;
    for (std::size_t p = 0; p < paths; ++p) error += (fixed_run(p, j) - reference[p]).norm();
    fixed_work.push_back(std::ldexp(1.0, j));
    fixed_error.push_back(error / static_cast<double>(paths));
  }
  auto fixed_error_at = [&](double work) {  // log-linear interpolation in the table
    std::size_t i = 1;
    while (i + 1 < fixed_work.size() && fixed_work[i] < work) ++i;
    const double a = std::log(work / fixed_work[i - 1]) / std::log(fixed_work[i] / fixed_work[i - 1]);
    return std::exp((1 - a) * std::log(fixed_error[i - 1]) + a * std::log(fixed_error[i]));
  };
  struct Variant {
    const char* name;
    sdekit::ErrorEstimator estimator;
    sdekit::DriftErrorEstimate drift;
    double weight;
    double work_per_attempt;
  };
  const Variant variants[] = {
      {"embedded, stage sum (SciML)", sdekit::ErrorEstimator::automatic, sdekit::DriftErrorEstimate::stage_sum,
       1.0 / 6.0, 1.0},
      {"embedded, Euler difference", sdekit::ErrorEstimator::automatic, sdekit::DriftErrorEstimate::euler_difference,
       1.0, 1.0},
      {"step doubling", sdekit::ErrorEstimator::step_doubling, sdekit::DriftErrorEstimate::stage_sum, 1.0, 3.0}};
  for (const Variant& variant : variants) {
    std::vector<double> errors, ratios;
    for (double tol : {1e-3, 1e-4, 1e-5}) {
      double error = 0, work = 0;
      for (std::size_t p = 0; p < paths; ++p) {
        sdekit::BrownianTree tree(8, 0.0, T, depth, 2, p);
        V v(2.0, 0.0);
        sdekit::AdaptiveOptions options;
        options.atol = options.rtol = tol;
        options.estimator = variant.estimator;
        options.drift_estimate = variant.drift;
        options.drift_error_weight = variant.weight;
        const auto r = sdekit::integrate_adaptive(stepper, problem, v, tree, options);
        REQUIRE(r.stop == sdekit::AdaptiveStop::reached_end);
        error += (v - reference[p]).norm();
        work += variant.work_per_attempt * static_cast<double>(r.accepted + r.rejected);
      }
      error /= static_cast<double>(paths);
      work /= static_cast<double>(paths);
      const double fixed = fixed_error_at(work);
      errors.push_back(error);
      ratios.push_back(fixed / error);
      MESSAGE("van der Pol, " << std::string(variant.name) << ", tol " << tol << ": adaptive error " << error
                              << " with " << work << " SRA1 steps; fixed steps at that work: error " << fixed
                              << " (ratio " << fixed / error << ")");
    }
    CHECK(errors[1] < errors[0]);
    CHECK(errors[2] < errors[1]);
    // The default (SciML's stage sum under global error control) beats fixed steps at equal work at every tolerance.
    if (variant.drift == sdekit::DriftErrorEstimate::stage_sum &&
        variant.estimator == sdekit::ErrorEstimator::automatic)
      for (double ratio : ratios) CHECK(ratio > 1.0);
  }
  for (std::size_t i = 0; i < fixed_work.size(); ++i)
    MESSAGE("van der Pol, fixed " << fixed_work[i] << " steps: error " << fixed_error[i]);
}

TEST_CASE("adaptive steps on non-commutative noise give the right law at T") {
  // dX = A X dt + B1 X dW1 + B2 X dW2 with B1 B2 ≠ B2 B1 (so b(x) = [B1 x, B2 x] has non-commuting columns): the
  // case where adaptive schemes that resample rejected steps converge to a wrong law (diffrax #471; RSwM's bridge
  // bug). Its moments solve linear ODEs: E[X] = e^{At} x0 and M = E[X Xᵀ] with M' = A M + M Aᵀ + Σ B_j M B_jᵀ,
  // integrated here by RK4 with 10^4 steps (error far below the sampling error). Euler–Maruyama with step doubling
  // at tolerance 1e-3 takes about 340 steps per path and rejects about one step in three paths (measured), and its
  // weak bias is then below the sampling error: |z| 1.06. The check has power: at tolerance 0.3 (11 steps per path)
  // the bias gives |z| = 9.5 and fails it.
  using V = Eigen::Vector2d;
  using M = Eigen::Matrix2d;
  M A, B1, B2;
  A << -0.5, 1.0, -1.0, -0.5;
  B1 << 0.0, 0.4, 0.0, 0.0;
  B2 << 0.0, 0.0, 0.4, 0.0;
  auto problem = sdekit::make_sde([=](const V& x, double) -> V { return A * x; },
                                  [=](const V& x, double) -> M {
                                    M b;
                                    b.col(0) = B1 * x;
                                    b.col(1) = B2 * x;
                                    return b;
                                  });
  const V x0(1.0, 0.5);
  const double T = 1.0;
  // Exact moments.
  V mean_exact = x0;
  M second_exact = x0 * x0.transpose();
  {
    auto rhs_mean = [&](const V& m) -> V { return A * m; };
    auto rhs_second = [&](const M& m) -> M {
      return A * m + m * A.transpose() + B1 * m * B1.transpose() + B2 * m * B2.transpose();
    };
    const int n = 10000;
    const double h = T / n;
    for (int i = 0; i < n; ++i) {
      const V k1 = rhs_mean(mean_exact), k2 = rhs_mean(mean_exact + 0.5 * h * k1),
              k3 = rhs_mean(mean_exact + 0.5 * h * k2), k4 = rhs_mean(mean_exact + h * k3);
      mean_exact += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
      const M l1 = rhs_second(second_exact), l2 = rhs_second(second_exact + 0.5 * h * l1),
              l3 = rhs_second(second_exact + 0.5 * h * l2), l4 = rhs_second(second_exact + h * l3);
      second_exact += h / 6 * (l1 + 2 * l2 + 2 * l3 + l4);
    }
  }
  const std::size_t paths = sdekit_test::scaled(4000, 1000);
  sdekit::AdaptiveOptions options;
  options.atol = options.rtol = 1e-3;
  options.error_control = sdekit::ErrorControl::per_step;  // the tolerances above bound each step's estimate
  sdekit::EulerMaruyama em;
  // Samples of x1, x2, x1², x2², x1 x2 at T.
  std::vector<std::array<double, 5>> samples(paths);
  std::size_t accepted = 0, rejected = 0;
  for (std::size_t p = 0; p < paths; ++p) {
    sdekit::BrownianTree tree(31, 0.0, T, 24, 2, p);
    V x = x0;
    const auto r = sdekit::integrate_adaptive(em, problem, x, tree, options);
    REQUIRE(r.stop == sdekit::AdaptiveStop::reached_end);
    accepted += r.accepted;
    rejected += r.rejected;
    samples[p] = {x[0], x[1], x[0] * x[0], x[1] * x[1], x[0] * x[1]};
  }
  const double exact[5] = {mean_exact[0], mean_exact[1], second_exact(0, 0), second_exact(1, 1), second_exact(0, 1)};
  double worst = 0;
  for (int q = 0; q < 5; ++q) {
    double sum = 0, sum2 = 0;
    for (const auto& s : samples)
      sum += s[static_cast<std::size_t>(q)], sum2 += s[static_cast<std::size_t>(q)] * s[static_cast<std::size_t>(q)];
    const double N = static_cast<double>(paths);
    const double mean = sum / N, se = std::sqrt((sum2 / N - mean * mean) / N);
    worst = std::max(worst, std::abs(mean - exact[q]) / se);
  }
  MESSAGE("non-commutative noise, EM with step doubling: "
          << static_cast<double>(accepted) / paths << " accepted and " << static_cast<double>(rejected) / paths
          << " rejected steps per path; largest |z| of E[x1], E[x2], E[x1²], E[x2²], E[x1 x2] at T: " << worst);
  CHECK(rejected > 0);
  CHECK(worst < 4.5);
}

TEST_CASE("adaptive runs stop and say why") {
  sdekit::Sriw1 stepper;
  {
    sdekit::BrownianTree tree(1, 0.0, 1.0, 20);
    sdekit::AdaptiveOptions options;
    options.max_steps = 10;
    double x = cubic_start;
    const auto r = sdekit::integrate_adaptive(stepper, cubic(), x, tree, options);
    CHECK(r.stop == sdekit::AdaptiveStop::max_steps);
    CHECK(r.accepted + r.rejected == 10);
    CHECK(r.t < 1.0);
  }
  {
    // A tolerance that steps of 1/64 cannot meet.
    sdekit::BrownianTree tree(1, 0.0, 1.0, 6);
    sdekit::AdaptiveOptions options;
    options.atol = options.rtol = 1e-14;
    double x = cubic_start;
    const auto r = sdekit::integrate_adaptive(stepper, cubic(), x, tree, options);
    CHECK(r.stop == sdekit::AdaptiveStop::dt_min);
    CHECK(std::isfinite(x));
  }
  {
    // A drift that turns NaN at t > 0.5: the state stays the last finite one.
    auto broken = sdekit::make_sde([](double x, double t) { return t > 0.5 ? std::nan("") : -x; },
                                   [](double, double) { return 0.1; }, sdekit::additive);
    sdekit::BrownianTree tree(1, 0.0, 1.0, 12);
    double x = 1.0;
    sdekit::Sra1 sra;
    const auto r = sdekit::integrate_adaptive(sra, broken, x, tree);
    CHECK(r.stop == sdekit::AdaptiveStop::non_finite);
    CHECK(std::isfinite(x));
    CHECK(r.t <= 0.5 + 1e-12);
  }
  {
    // Stop times are landed on exactly.
    sdekit::BrownianTree tree(1, 0.0, 1.0, 20);
    sdekit::AdaptiveOptions options;
    options.stop_times = {0.25, 0.3125, 0.75};
    std::vector<double> times;
    double x = cubic_start;
    (void)sdekit::integrate_adaptive(stepper, cubic(), x, tree, options, [&](double, double t) { times.push_back(t); });
    for (double t : options.stop_times) CHECK(std::count(times.begin(), times.end(), t) == 1);
    CHECK(times.back() == 1.0);
  }
}

TEST_CASE("integrate_adaptive rejects bad options, naming them") {
  using sdekit_test::check_throws_naming;
  sdekit::Sriw1 stepper;
  sdekit::BrownianTree tree(1, 0.0, 1.0, 10);
  auto run = [&](sdekit::AdaptiveOptions options) {
    double x = cubic_start;
    (void)sdekit::integrate_adaptive(stepper, cubic(), x, tree, options);
  };
  sdekit::AdaptiveOptions o;
  o.atol = -1;
  check_throws_naming([&] { run(o); }, "atol");
  o = {};
  o.min_factor = 1.5;
  check_throws_naming([&] { run(o); }, "min_factor");
  o = {};
  o.max_factor = 0.5;
  check_throws_naming([&] { run(o); }, "max_factor");
  o = {};
  o.stop_times = {0.3};
  check_throws_naming([&] { run(o); }, "stop_times");
  o = {};
  o.stop_times = {0.5, 0.25};
  check_throws_naming([&] { run(o); }, "stop_times");
  double x = std::nan("");
  check_throws_naming([&] { (void)sdekit::integrate_adaptive(stepper, cubic(), x, tree); }, "x0");
  sdekit::BrownianTree wide(1, 0.0, 1.0, 10, 2);
  x = cubic_start;
  check_throws_naming([&] { (void)sdekit::integrate_adaptive(stepper, cubic(), x, wide); }, "tree.dimension()");
}

TEST_CASE("adaptive ensembles: each particle its own steps, the right law, the same bits on any thread count") {
  // The cubic problem from X0 = 1/2 with saves at 1/4, 1/2, 1 (grid dt = 1/4): X_T = tanh(W_T/2 + artanh X0), so
  // E[X_T] and E[X_T²] are integrals against the normal law of W_T (Simpson's rule on ±10 standard deviations, far
  // below the sampling error). The particles' adaptive runs (SRIW1, tol 1e-4) must give them within 4.5 standard
  // errors: a tree seeded the same on every grid interval (correlated increments) would not.
  sdekit::EnsembleOptions options;
  options.particles = sdekit_test::scaled(4000, 1000);
  options.seed = 21;
  options.dt = 0.25;
  options.save_times = {0.25, 0.5, 1.0};
  sdekit::AdaptiveOptions adaptive;
  adaptive.atol = adaptive.rtol = 1e-4;
  options.threads = 1;
  const auto one = sdekit::simulate_adaptive_ensemble(sdekit::Sriw1{}, cubic(), cubic_start, options, adaptive, 26);
  options.threads = 2;
  options.block_size = 37;
  const auto two = sdekit::simulate_adaptive_ensemble(sdekit::Sriw1{}, cubic(), cubic_start, options, adaptive, 26);
  REQUIRE(one.ensemble.failures.empty());
  bool same = one.ensemble.values.size() == two.ensemble.values.size(), different_steps = false;
  for (std::size_t s = 0; same && s < one.ensemble.values.size(); ++s)
    same = std::memcmp(one.ensemble.values[s].data(), two.ensemble.values[s].data(),
                       sizeof(double) * static_cast<std::size_t>(one.ensemble.values[s].size())) == 0;
  double steps = 0, rejected = 0;
  for (std::size_t i = 0; i < options.particles; ++i) {
    same = same && one.runs[i].accepted == two.runs[i].accepted && one.runs[i].rejected == two.runs[i].rejected;
    different_steps = different_steps || one.runs[i].accepted != one.runs[0].accepted;
    CHECK(one.runs[i].stop == sdekit::AdaptiveStop::reached_end);
    steps += static_cast<double>(one.runs[i].accepted);
    rejected += static_cast<double>(one.runs[i].rejected);
  }
  CHECK(same);             // 1 thread and 2 threads with another block size: the same bits
  CHECK(different_steps);  // the particles chose their own steps
  auto moment = [](double T, int power) {
    const int n = 4000;
    const double a = -10 * std::sqrt(T), h = 20 * std::sqrt(T) / n;
    double sum = 0;
    for (int j = 0; j <= n; ++j) {
      const double w = a + j * h;
      const double f = std::pow(cubic_exact(w), power) * std::exp(-w * w / (2 * T)) / std::sqrt(2 * M_PI * T);
      sum += (j == 0 || j == n ? 1 : (j % 2 ? 4 : 2)) * f;
    }
    return sum * h / 3;
  };
  double worst = 0;
  for (double T : {0.25, 0.5, 1.0}) {
    const auto& stats = one.ensemble.at(T);
    const double mean = moment(T, 1), second = moment(T, 2);
    const double n = static_cast<double>(stats.alive);
    const double z_mean = (stats.mean[0] - mean) / std::sqrt(stats.variance[0] / n);
    // E[X²] from the sample mean and variance, its standard error from the fourth central moment's Gaussian bound.
    const double sample_second = stats.variance[0] * (n - 1) / n + stats.mean[0] * stats.mean[0];
    const double se_second = std::sqrt((moment(T, 4) - second * second) / n);
    const double z_second = (sample_second - second) / se_second;
    worst = std::max({worst, std::abs(z_mean), std::abs(z_second)});
  }
  MESSAGE("adaptive ensemble: " << steps / static_cast<double>(options.particles) << " accepted and "
                                << rejected / static_cast<double>(options.particles)
                                << " rejected steps per particle; largest |z| of E[X], E[X²] at the saves: " << worst);
  CHECK(worst < 4.5);

  // A particle that cannot finish fails with the stop reason; its run says why.
  options.particles = 8;
  adaptive.max_steps = 2;
  const auto stopped = sdekit::simulate_adaptive_ensemble(sdekit::Sriw1{}, cubic(), cubic_start, options, adaptive);
  CHECK(stopped.ensemble.failures.size() == 8);
  CHECK(stopped.ensemble.failures[0].reason.find("max_steps") != std::string::npos);
  CHECK(stopped.runs[3].stop == sdekit::AdaptiveStop::max_steps);
  adaptive.max_steps = 1000;
  sdekit_test::check_throws_naming(
      [&] { (void)sdekit::simulate_adaptive_ensemble(sdekit::Sriw1{}, cubic(), cubic_start, options, adaptive, 0); },
      "depth");
  options.increment_law = sdekit::IncrementLaw::three_point;
  sdekit_test::check_throws_naming(
      [&] { (void)sdekit::simulate_adaptive_ensemble(sdekit::Sriw1{}, cubic(), cubic_start, options, adaptive); },
      "options.increment_law");
  options.increment_law = sdekit::IncrementLaw::gaussian;
  adaptive.stop_times = {0.5};
  sdekit_test::check_throws_naming(
      [&] { (void)sdekit::simulate_adaptive_ensemble(sdekit::Sriw1{}, cubic(), cubic_start, options, adaptive); },
      "adaptive.stop_times");
}
