// The three core schemes against closed-form solutions on shared Brownian paths: per-path accuracy, and strong
// order measured as the slope of log E|X_T − X(T)| against log dt for dt = 2^-4 … 2^-10 over 200 paths.
#include "convergence.hpp"

#include <sdekit/sdekit.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

using sdekit_test::CachedPath;
using sdekit_test::order_slope;
using sdekit_test::strong_errors;
using Vec2 = Eigen::Vector2d;

namespace {

constexpr int first_level = 4, last_level = 10, fine_level = 10, paths = 200;
constexpr double mu = 1.5, sigma = 1.0, x0 = 1.0;

// Geometric Brownian motion in both calculi; the exact solutions differ by the Itô correction −σ²/2.
auto gbm_ito() {
  return sdekit::make_sde([](double x, double) { return mu * x; }, [](double x, double) { return sigma * x; });
}
auto gbm_stratonovich() {
  return sdekit::make_sde([](double x, double) { return mu * x; }, [](double x, double) { return sigma * x; },
                          sdekit::stratonovich);
}
double gbm_ito_exact(const CachedPath& path) {
  return x0 * std::exp(mu - 0.5 * sigma * sigma + sigma * path.W(0, std::size_t{1} << fine_level));
}
double gbm_stratonovich_exact(const CachedPath& path) {
  return x0 * std::exp(mu + sigma * path.W(0, std::size_t{1} << fine_level));
}

double measured_order(const std::vector<double>& errors, const char* label) {
  const double slope = order_slope(errors, first_level);
  std::printf("%-44s errors", label);
  for (double e : errors) std::printf(" %.2e", e);
  std::printf("  order %.3f\n", slope);
  return slope;
}

}  // namespace

TEST_CASE("Euler–Maruyama: strong order 0.5 on GBM, 1.0 on additive noise") {
  const auto errors = strong_errors(sdekit::EulerMaruyama{}, gbm_ito(), x0, 1, first_level, last_level, fine_level,
                                    paths, gbm_ito_exact);
  CHECK(measured_order(errors, "Euler-Maruyama, GBM (Ito)") == doctest::Approx(0.5).epsilon(0.2));

  // Ornstein–Uhlenbeck dX = −θX dt + s dW. Its exact solution needs ∫ e^{−θ(T−u)} W_u du, taken by the trapezoid
  // rule on a path 16 times finer than the finest dt (reference error O(2^-14), far below the errors measured).
  const double theta = 2.0, s = 0.8;
  auto ou = sdekit::make_sde([=](double x, double) { return -theta * x; }, [=](double, double) { return s; },
                             sdekit::additive);
  const int ou_fine = 14;
  auto ou_exact = [=](const CachedPath& path) {
    const double h = path.fine_dt();
    const Eigen::RowVectorXd& dW = path.increments().row(0);
    double w = 0, integral = 0;
    for (Eigen::Index i = 0; i < dW.size(); ++i) {
      const double w_next = w + dW[i];
      const double u = static_cast<double>(i) * h;
      integral += 0.5 * h * (std::exp(-theta * (1 - u)) * w + std::exp(-theta * (1 - u - h)) * w_next);
      w = w_next;
    }
    return std::exp(-theta) * x0 + s * w - s * theta * integral;
  };
  const auto ou_errors = strong_errors(sdekit::EulerMaruyama{}, ou, x0, 1, first_level, last_level, ou_fine, paths,
                                       ou_exact);
  CHECK(measured_order(ou_errors, "Euler-Maruyama, OU (additive)") == doctest::Approx(1.0).epsilon(0.1));
  CHECK(sdekit::EulerMaruyama::strong_order<decltype(ou)>() == 1.0);
  CHECK(sdekit::EulerMaruyama::order() == 0.5);
}

TEST_CASE("Milstein: strong order 1.0 in Itô and Stratonovich form, derivative-free and analytic") {
  const auto ito = strong_errors(sdekit::Milstein{}, gbm_ito(), x0, 1, first_level, last_level, fine_level, paths,
                                 gbm_ito_exact);
  CHECK(measured_order(ito, "Milstein derivative-free, GBM (Ito)") == doctest::Approx(1.0).epsilon(0.1));

  auto analytic = gbm_ito().with_diffusion_derivative([](double, double) { return sigma; });
  const auto ito_analytic = strong_errors(sdekit::Milstein{}, analytic, x0, 1, first_level, last_level, fine_level,
                                          paths, gbm_ito_exact);
  CHECK(measured_order(ito_analytic, "Milstein analytic b', GBM (Ito)") == doctest::Approx(1.0).epsilon(0.1));

  const auto strat = strong_errors(sdekit::Milstein{}, gbm_stratonovich(), x0, 1, first_level, last_level,
                                   fine_level, paths, gbm_stratonovich_exact);
  CHECK(measured_order(strat, "Milstein derivative-free, GBM (Stratonovich)") == doctest::Approx(1.0).epsilon(0.1));

  auto strat_analytic = gbm_stratonovich().with_diffusion_derivative([](double, double) { return sigma; });
  const auto strat_a = strong_errors(sdekit::Milstein{}, strat_analytic, x0, 1, first_level, last_level, fine_level,
                                     paths, gbm_stratonovich_exact);
  CHECK(measured_order(strat_a, "Milstein analytic b', GBM (Stratonovich)") == doctest::Approx(1.0).epsilon(0.1));
  // Milstein beats Euler–Maruyama by a wide margin at the finest step.
  const auto em = strong_errors(sdekit::EulerMaruyama{}, gbm_ito(), x0, 1, last_level, last_level, fine_level, paths,
                                gbm_ito_exact);
  CHECK(ito.back() < 0.25 * em.back());
}

TEST_CASE("StochasticHeun: strong order 1.0 on Stratonovich GBM") {
  const auto errors = strong_errors(sdekit::StochasticHeun{}, gbm_stratonovich(), x0, 1, first_level, last_level,
                                    fine_level, paths, gbm_stratonovich_exact);
  CHECK(measured_order(errors, "StochasticHeun, GBM (Stratonovich)") == doctest::Approx(1.0).epsilon(0.1));
}

TEST_CASE("2-D linear system with diagonal noise: per-path accuracy and orders") {
  // dX_i = m_i X_i dt + s_i X_i dW_i, i = 1, 2: each component is a GBM driven by its own Wiener process.
  const Vec2 m(0.5, -1.0), s(0.8, 0.4), start(1.0, 2.0);
  auto diagonal = [&](auto calculus) {
    return sdekit::make_sde([=](const Vec2& x, double) -> Vec2 { return m.cwiseProduct(x); },
                            [=](const Vec2& x, double) -> Vec2 { return s.cwiseProduct(x); }, calculus);
  };
  auto exact = [&](bool ito) {
    return [=](const CachedPath& path) {
      Vec2 x;
      for (int i = 0; i < 2; ++i) {
        const double drift = m[i] - (ito ? 0.5 * s[i] * s[i] : 0.0);
        x[i] = start[i] * std::exp(drift + s[i] * path.W(static_cast<std::size_t>(i), std::size_t{1} << fine_level));
      }
      return x;
    };
  };
  static_assert(sdekit::noise_kind_v<decltype(diagonal(sdekit::ito)), Vec2> == sdekit::NoiseKind::diagonal);
  const auto em = strong_errors(sdekit::EulerMaruyama{}, diagonal(sdekit::ito), start, 2, first_level, last_level,
                                fine_level, paths, exact(true));
  CHECK(measured_order(em, "Euler-Maruyama, 2-D diagonal (Ito)") == doctest::Approx(0.5).epsilon(0.2));
  const auto mil = strong_errors(sdekit::Milstein{}, diagonal(sdekit::ito), start, 2, first_level, last_level,
                                 fine_level, paths, exact(true));
  CHECK(measured_order(mil, "Milstein, 2-D diagonal (Ito)") == doctest::Approx(1.0).epsilon(0.1));
  const auto heun = strong_errors(sdekit::StochasticHeun{}, diagonal(sdekit::stratonovich), start, 2, first_level,
                                  last_level, fine_level, paths, exact(false));
  CHECK(measured_order(heun, "StochasticHeun, 2-D diagonal (Stratonovich)") == doctest::Approx(1.0).epsilon(0.1));

  // Per path: with dt = 2^-10 every one of 100 Milstein paths is within 1% of its exact solution.
  double worst = 0;
  for (std::uint64_t p = 0; p < 100; ++p) {
    const CachedPath path(77, p, std::ldexp(1.0, -fine_level), std::size_t{1} << fine_level, 2);
    Vec2 x = start;
    sdekit::Milstein milstein;
    sdekit::integrate(milstein, diagonal(sdekit::ito), x, 0.0, 1.0, std::ldexp(1.0, -fine_level), path);
    const Vec2 reference = exact(true)(path);
    worst = std::max(worst, ((x - reference).array() / reference.array()).abs().maxCoeff());
  }
  CHECK(worst < 0.01);
}

TEST_CASE("GBM per path: each scheme lands on the exact solution of its own path") {
  // Relative error of every one of 100 paths at dt = 2^-10: Milstein and Heun within 2%, Euler–Maruyama within 15%.
  double worst_em = 0, worst_milstein = 0, worst_heun = 0;
  for (std::uint64_t p = 0; p < 100; ++p) {
    const CachedPath path(5, p, std::ldexp(1.0, -fine_level), std::size_t{1} << fine_level, 1);
    const double dt = std::ldexp(1.0, -fine_level);
    double em = x0, mil = x0, heun = x0;
    sdekit::EulerMaruyama s1;
    sdekit::Milstein s2;
    sdekit::StochasticHeun s3;
    sdekit::integrate(s1, gbm_ito(), em, 0.0, 1.0, dt, path);
    sdekit::integrate(s2, gbm_ito(), mil, 0.0, 1.0, dt, path);
    sdekit::integrate(s3, gbm_stratonovich(), heun, 0.0, 1.0, dt, path);
    worst_em = std::max(worst_em, std::abs(em / gbm_ito_exact(path) - 1));
    worst_milstein = std::max(worst_milstein, std::abs(mil / gbm_ito_exact(path) - 1));
    worst_heun = std::max(worst_heun, std::abs(heun / gbm_stratonovich_exact(path) - 1));
  }
  std::printf("worst relative error over 100 GBM paths at dt=2^-10: EM %.3g, Milstein %.3g, Heun %.3g\n", worst_em,
              worst_milstein, worst_heun);
  CHECK(worst_em < 0.15);
  CHECK(worst_milstein < 0.02);
  CHECK(worst_heun < 0.02);
}

TEST_CASE("general commutative noise: Milstein order 1.0 in both calculi, Heun order 1.0") {
  // X ∈ R², dX = μ X dt + σ1 X dW1 + σ2 X dW2: the columns b^j = σ_j X commute, and
  // X(T) = X0 exp((μ − (σ1² + σ2²)/2) T + σ1 W1 + σ2 W2) (Itô; drop the correction for Stratonovich).
  const double m = 0.5, s1 = 0.6, s2 = 0.3;
  const Vec2 start(1.0, 0.5);
  auto make = [&](auto calculus) {
    return sdekit::make_sde([=](const Vec2& x, double) -> Vec2 { return m * x; },
                            [=](const Vec2& x, double) {
                              Eigen::Matrix2d b;
                              b.col(0) = s1 * x;
                              b.col(1) = s2 * x;
                              return b;
                            },
                            calculus, sdekit::commutative);
  };
  auto exact = [&](bool ito) {
    return [=](const CachedPath& path) -> Vec2 {
      const std::size_t n = std::size_t{1} << fine_level;
      const double drift = m - (ito ? 0.5 * (s1 * s1 + s2 * s2) : 0.0);
      return start * std::exp(drift + s1 * path.W(0, n) + s2 * path.W(1, n));
    };
  };
  static_assert(sdekit::noise_kind_v<decltype(make(sdekit::ito)), Vec2> == sdekit::NoiseKind::general);
  const auto ito = strong_errors(sdekit::Milstein{}, make(sdekit::ito), start, 2, first_level, last_level, fine_level,
                                 paths, exact(true));
  CHECK(measured_order(ito, "Milstein, general commutative (Ito)") == doctest::Approx(1.0).epsilon(0.1));
  const auto strat = strong_errors(sdekit::Milstein{}, make(sdekit::stratonovich), start, 2, first_level, last_level,
                                   fine_level, paths, exact(false));
  CHECK(measured_order(strat, "Milstein, general commutative (Stratonovich)") == doctest::Approx(1.0).epsilon(0.1));
  const auto heun = strong_errors(sdekit::StochasticHeun{}, make(sdekit::stratonovich), start, 2, first_level,
                                  last_level, fine_level, paths, exact(false));
  CHECK(measured_order(heun, "StochasticHeun, general commutative (Strat.)") == doctest::Approx(1.0).epsilon(0.1));
  const auto em = strong_errors(sdekit::EulerMaruyama{}, make(sdekit::ito), start, 2, first_level, last_level,
                                fine_level, paths, exact(true));
  CHECK(measured_order(em, "Euler-Maruyama, general commutative (Ito)") == doctest::Approx(0.5).epsilon(0.2));
}

TEST_CASE("nonlinear diffusion b(x) = sin x: order 1.0 for Milstein (both calculi) and Heun") {
  // Stratonovich dX = c sin X dt + sin X ∘ dW is dX = sin X ∘ dV with V = c t + W, so
  // X(T) = 2 arctan(tan(X0/2) e^{c T + W_T}); its Itô form has drift c sin x + ½ sin x cos x. Unlike GBM, b'' ≠ 0,
  // which exposes derivative-free differences whose error does not average out.
  const double c = 0.5, start = 1.0;
  auto strat = sdekit::make_sde([=](double x, double) { return c * std::sin(x); },
                                [](double x, double) { return std::sin(x); }, sdekit::stratonovich);
  auto ito = sdekit::make_sde([=](double x, double) { return c * std::sin(x) + 0.5 * std::sin(x) * std::cos(x); },
                              [](double x, double) { return std::sin(x); });
  auto exact = [=](const CachedPath& path) {
    return 2 * std::atan(std::tan(start / 2) * std::exp(c + path.W(0, std::size_t{1} << fine_level)));
  };
  const auto mil_ito = strong_errors(sdekit::Milstein{}, ito, start, 1, first_level, last_level, fine_level, paths, exact);
  CHECK(measured_order(mil_ito, "Milstein, sin diffusion (Ito)") == doctest::Approx(1.0).epsilon(0.1));
  const auto mil_strat =
      strong_errors(sdekit::Milstein{}, strat, start, 1, first_level, last_level, fine_level, paths, exact);
  CHECK(measured_order(mil_strat, "Milstein, sin diffusion (Stratonovich)") == doctest::Approx(1.0).epsilon(0.1));
  const auto heun =
      strong_errors(sdekit::StochasticHeun{}, strat, start, 1, first_level, last_level, fine_level, paths, exact);
  CHECK(measured_order(heun, "StochasticHeun, sin diffusion") == doctest::Approx(1.0).epsilon(0.1));

  // The same law on a 2-D state with two Wiener processes: b^j(x) = s_j (sin x_1, sin x_2) has commuting columns,
  // and X_i(T) = 2 arctan(tan(X0_i/2) e^{cT + s_1 W_1 + s_2 W_2}).
  const double s1 = 0.6, s2 = 0.8;
  const Vec2 start2(1.0, 2.0);
  auto sines = [](const Vec2& x) -> Vec2 { return x.array().sin().matrix(); };
  auto general_b = [=](const Vec2& x, double) {
    Eigen::Matrix2d b;
    b.col(0) = s1 * sines(x);
    b.col(1) = s2 * sines(x);
    return b;
  };
  // Itô drift = Stratonovich drift + ½ Σ_j L^j b^j = c sin x + ½ (s1² + s2²) sin x cos x.
  auto general_ito = sdekit::make_sde(
      [=](const Vec2& x, double) -> Vec2 {
        return (c * x.array().sin() + 0.5 * (s1 * s1 + s2 * s2) * x.array().sin() * x.array().cos()).matrix();
      },
      general_b, sdekit::commutative);
  auto general_strat = sdekit::make_sde([=](const Vec2& x, double) -> Vec2 { return c * sines(x); }, general_b,
                                        sdekit::stratonovich, sdekit::commutative);
  auto general_exact = [=](const CachedPath& path) -> Vec2 {
    const std::size_t n = std::size_t{1} << fine_level;
    const double v = c + s1 * path.W(0, n) + s2 * path.W(1, n);
    return (2 * ((start2.array() / 2).tan() * std::exp(v)).atan()).matrix();
  };
  const auto g_ito = strong_errors(sdekit::Milstein{}, general_ito, start2, 2, first_level, last_level, fine_level,
                                   paths, general_exact);
  CHECK(measured_order(g_ito, "Milstein, general sin diffusion (Ito)") == doctest::Approx(1.0).epsilon(0.1));
  const auto g_strat = strong_errors(sdekit::Milstein{}, general_strat, start2, 2, first_level, last_level, fine_level,
                                     paths, general_exact);
  CHECK(measured_order(g_strat, "Milstein, general sin diffusion (Strat.)") == doctest::Approx(1.0).epsilon(0.1));
}

TEST_CASE("Euler–Maruyama: weak order 1.0 on E[X_T] of GBM") {
  // E[X_T] = x0 e^{μT}. 10^6 particles per dt through the ensemble engine; the Monte Carlo standard error
  // (about 0.002) is far below the smallest bias measured (about 0.07 at dt = 1/64).
  const double m = 1.5, s = 0.5;
  auto gbm = sdekit::make_sde([=](double x, double) { return m * x; }, [=](double x, double) { return s * x; });
  std::vector<double> errors;
  const int first = 2, last = 6;
  for (int level = first; level <= last; ++level) {
    sdekit::EnsembleOptions options;
    options.particles = 1000000;
    options.seed = 31;
    options.dt = std::ldexp(1.0, -level);
    const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, gbm, 1.0, options);
    const double bias = std::abs(result.statistics.back().mean[0] - std::exp(m));
    CHECK(bias > 5 * result.statistics.back().standard_error()[0]);  // the bias, not noise, is measured
    errors.push_back(bias);
  }
  const double slope = order_slope(errors, first);
  std::printf("Euler-Maruyama weak errors on E[X_T]:");
  for (double e : errors) std::printf(" %.3e", e);
  std::printf("  weak order %.3f\n", slope);
  CHECK(slope == doctest::Approx(1.0).epsilon(0.2));
}

TEST_CASE("general n×m noise: Euler–Maruyama reproduces the exact mean and covariance") {
  // dX = −Θ X dt + B dW with Θ = diag(1, 2) and B 2×3: mean e^{−Θt} x0,
  // covariance_ij = (B Bᵀ)_ij (1 − e^{−(θ_i+θ_j) t}) / (θ_i + θ_j).
  const Vec2 theta(1.0, 2.0), start(1.0, -1.0);
  Eigen::Matrix<double, 2, 3> B;
  B << 1.0, 0.5, 0.0, 0.0, 0.7, 0.9;
  auto ou = sdekit::make_sde([=](const Vec2& x, double) -> Vec2 { return -theta.cwiseProduct(x); },
                             [=](const Vec2&, double) { return B; }, sdekit::additive);
  static_assert(sdekit::noise_kind_v<decltype(ou), Vec2> == sdekit::NoiseKind::general);
  sdekit::EnsembleOptions options;
  options.particles = 200000;
  options.seed = 8;
  options.dt = 1e-3;
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, ou, start, options);
  const auto& st = result.statistics.back();
  const Eigen::Matrix2d BBt = B * B.transpose();
  const double n = static_cast<double>(st.alive);
  for (int i = 0; i < 2; ++i) {
    const double mean = std::exp(-theta[i]) * start[i];
    CHECK(std::abs(st.mean[i] - mean) < 5 * std::sqrt(st.variance[i] / n) + 2e-3);  // + O(dt) bias
    for (int j = 0; j < 2; ++j) {
      const double exact = BBt(i, j) * (1 - std::exp(-(theta[i] + theta[j]))) / (theta[i] + theta[j]);
      // SE of a sample covariance: sqrt((Σ_ii Σ_jj + Σ_ij²) / n) for Gaussian data.
      const double se = std::sqrt((st.covariance(i, i) * st.covariance(j, j) + exact * exact) / n);
      CHECK(std::abs(st.covariance(i, j) - exact) < 5 * se + 2e-3);
    }
  }
}
