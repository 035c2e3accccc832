// Forecasts: CRPS against closed forms and its definition, ensemble forecasts against the exact OU and GBM
// transition laws, parameter uncertainty against the law of total variance, and the backtest's bookkeeping.
#include <sdekit/forecast/forecast.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;

namespace {

FitResult ou_fit(double kappa, double mu, double sigma) {
  FitResult f;
  f.kind = ModelKind::ornstein_uhlenbeck;
  f.model = "Ornstein-Uhlenbeck";
  f.names = {"kappa", "mu", "sigma"};
  f.parameters = Eigen::Vector3d(kappa, mu, sigma);
  return f;
}

FitResult gbm_fit(double mu, double sigma) {
  FitResult f;
  f.kind = ModelKind::geometric_brownian_motion;
  f.model = "geometric Brownian motion";
  f.names = {"mu", "sigma"};
  f.parameters = Eigen::Vector2d(mu, sigma);
  return f;
}

double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi); }

}  // namespace

TEST_CASE("CRPS: the normal closed form and the ensemble estimator") {
  // N(0,1) at its mean: 2φ(0) − 1/√π = (√2 − 1)/√π.
  CHECK(crps_normal(0, 1, 0) == doctest::Approx((std::sqrt(2.0) - 1) / std::sqrt(std::numbers::pi)).epsilon(1e-14));
  // The closed form equals the definition ∫ (F(x) − 1{x ≥ y})² dx, integrated numerically.
  const double m = 1.0, s = 2.0, y = 2.5;
  double integral = 0;
  const double h = 1e-3;
  for (double x = m - 20 * s; x < m + 20 * s; x += h) {
    const double xm = x + 0.5 * h;
    const double d = normal_cdf((xm - m) / s) - (xm >= y ? 1.0 : 0.0);
    integral += d * d * h;
  }
  CHECK(crps_normal(m, s, y) == doctest::Approx(integral).epsilon(1e-5));
  CHECK(crps_normal(3, 0, 1) == 2.0);
  // {1, 2, 4} at y = 3: mean|X − y| = 4/3, ½ mean|X − X'| = 2/3, and ∫(F − 1)² = 1/9 + 4/9 + 1/9.
  CHECK(crps_ensemble(std::vector<double>{4, 1, NAN, 2}, 3.0) == doctest::Approx(2.0 / 3.0).epsilon(1e-15));
  // A large ensemble of normal quantiles approaches the closed form (error O(1/M)).
  std::vector<double> q(20000);
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = m + s * normal_quantile((i + 0.5) / q.size());
  CHECK(crps_ensemble(q, y) == doctest::Approx(crps_normal(m, s, y)).epsilon(1e-3));
  check_throws_naming([] { crps_ensemble(std::vector<double>{NAN}, 0.0); }, "samples");
  check_throws_naming([] { crps_normal(0, -1, 0); }, "sd");
}

TEST_CASE("closed-form forecasts: OU normal law, GBM log-normal law") {
  const std::vector<double> horizons{1.0, 3.0};
  const Forecast ou = forecast_closed_form(ou_fit(0.5, 10, 2), 100.0, 14.0, horizons, std::vector<double>{0.95});
  REQUIRE(ou.points.size() == 2);
  CHECK(ou.points[0].time == 101.0);
  CHECK(ou.points[1].mean == doctest::Approx(10 + 4 * std::exp(-1.5)));
  CHECK(ou.points[1].sd == doctest::Approx(2 * std::sqrt((1 - std::exp(-3.0)) / 1.0)));
  CHECK(ou.points[1].upper[0] - ou.points[1].mean == doctest::Approx(1.959963984540054 * ou.points[1].sd));
  const Forecast gbm = forecast_closed_form(gbm_fit(0.1, 0.3), 0.0, 50.0, horizons, std::vector<double>{0.8});
  CHECK(gbm.points[0].mean == doctest::Approx(50 * std::exp(0.1)));
  CHECK(gbm.points[0].median == doctest::Approx(50 * std::exp(0.1 - 0.045)));
  CHECK(gbm.points[1].lower[0] ==
        doctest::Approx(50 * std::exp((0.1 - 0.045) * 3 - 1.2815515655446004 * 0.3 * std::sqrt(3.0))));
  check_throws_naming([] { forecast_closed_form(gbm_fit(0.1, 0.3), 0.0, -1.0, std::vector<double>{1.0}); }, "x0");
}

TEST_CASE("ensemble forecasts agree with the closed forms (OU and GBM)") {
  ForecastOptions o;
  o.particles = 20000;
  o.seed = 7;
  o.levels = {0.5, 0.8, 0.95};
  const double n = static_cast<double>(o.particles);
  SUBCASE("OU") {
    // Euler–Maruyama at dt = 0.01 shifts the mean by (x0 − μ)|(1 − κ dt)^{t/dt} − e^{−κt}| ≤ 0.003 here, a
    // quarter of a standard error: the stated tolerance is 5 standard errors of each statistic.
    o.dt = 0.01;
    const std::vector<double> horizons{0.5, 1.0, 2.0, 5.0};
    const FitResult fit = ou_fit(0.5, 10, 2);
    const Forecast e = forecast(fit, 0.0, 14.0, horizons, o);
    const Forecast c = forecast_closed_form(fit, 0.0, 14.0, horizons, o.levels);
    CHECK(e.failed == 0);
    for (std::size_t k = 0; k < horizons.size(); ++k) {
      CAPTURE(k);
      const double sd = c.points[k].sd;
      CHECK(std::abs(e.points[k].mean - c.points[k].mean) < 5 * sd / std::sqrt(n));
      CHECK(std::abs(e.points[k].sd / sd - 1) < 5 * std::sqrt(0.5 / n));
      for (std::size_t l = 0; l < o.levels.size(); ++l) {
        const double p = 0.5 + 0.5 * o.levels[l];
        const double z = normal_quantile(p);
        const double se = std::sqrt(p * (1 - p) / n) / (normal_pdf(z) / sd);  // SE of a sample quantile
        CHECK(std::abs(e.points[k].upper[l] - c.points[k].upper[l]) < 5 * se);
        CHECK(std::abs(e.points[k].lower[l] - c.points[k].lower[l]) < 5 * se);
      }
      CHECK(e.samples[k].size() == o.particles);
    }
  }
  SUBCASE("GBM") {
    o.dt = 0.002;
    const std::vector<double> horizons{0.25, 1.0, 2.0};
    const FitResult fit = gbm_fit(0.1, 0.3);
    const Forecast e = forecast(fit, 0.0, 100.0, horizons, o);
    const Forecast c = forecast_closed_form(fit, 0.0, 100.0, horizons, o.levels);
    for (std::size_t k = 0; k < horizons.size(); ++k) {
      CAPTURE(k);
      CHECK(std::abs(e.points[k].mean - c.points[k].mean) < 5 * c.points[k].sd / std::sqrt(n));
      const double s = 0.3 * std::sqrt(horizons[k]);
      for (std::size_t l = 0; l < o.levels.size(); ++l) {
        const double p = 0.5 + 0.5 * o.levels[l];
        const double z = normal_quantile(p);
        const double x = c.points[k].upper[l];
        const double se = std::sqrt(p * (1 - p) / n) / (normal_pdf(z) / (x * s));  // log-normal density at x
        CHECK(std::abs(e.points[k].upper[l] - x) < 5 * se);
      }
      const double zm = 0.0;
      const double se_median = std::sqrt(0.25 / n) / (normal_pdf(zm) / (c.points[k].median * s));
      CHECK(std::abs(e.points[k].median - c.points[k].median) < 5 * se_median);
    }
  }
}

TEST_CASE("parameter uncertainty adds the variance of the drift estimate (law of total variance)") {
  // dX = θ₀ dt + θ₁ dW with θ₀ ~ N(1, 0.3²) and θ₁ = 0.5 (nearly) fixed: Var X(h) = 0.09 h² + 0.25 h.
  FitResult fit;
  fit.kind = ModelKind::custom;
  fit.names = {"drift", "vol"};
  fit.parameters = Eigen::Vector2d(1.0, 0.5);
  fit.covariance = Eigen::Matrix2d{{0.09, 0.0}, {0.0, 1e-12}};
  fit.lower = Eigen::Vector2d(-INFINITY, 0.0);
  fit.upper = Eigen::Vector2d(INFINITY, INFINITY);
  const auto drift = [](double, double, const Eigen::VectorXd& p) { return p[0]; };
  const auto diffusion = [](double, double, const Eigen::VectorXd& p) { return p[1]; };
  ForecastOptions o;
  o.particles = 20000;
  o.parameter_uncertainty = true;
  o.dt = 0.1;  // exact for constant coefficients
  const std::vector<double> horizons{1.0, 4.0};
  const Forecast f = forecast_ensemble(drift, diffusion, fit, 0.0, 0.0, horizons, o);
  const double n = static_cast<double>(o.particles);
  for (std::size_t k = 0; k < 2; ++k) {
    const double h = horizons[k];
    const double variance = 0.09 * h * h + 0.25 * h;
    CHECK(std::abs(f.points[k].mean - h) < 5 * std::sqrt(variance / n));
    CHECK(std::abs(f.points[k].sd * f.points[k].sd / variance - 1) < 5 * std::sqrt(2 / n));
  }
  // Bitwise the same with one or two threads (the draws are functions of (seed, particle)).
  o.threads = 1;
  const Forecast one = forecast_ensemble(drift, diffusion, fit, 0.0, 0.0, horizons, o);
  o.threads = 2;
  const Forecast two = forecast_ensemble(drift, diffusion, fit, 0.0, 0.0, horizons, o);
  CHECK(one.samples == two.samples);
  // Statistics only: the same points bit for bit (mean, sd, median, intervals), no samples.
  o.statistics.storage = Storage::statistics_only;
  const Forecast streamed = forecast_ensemble(drift, diffusion, fit, 0.0, 0.0, horizons, o);
  CHECK(streamed.samples.empty());
  REQUIRE(streamed.points.size() == two.points.size());
  for (std::size_t k = 0; k < two.points.size(); ++k) {
    CHECK(streamed.points[k].mean == two.points[k].mean);
    CHECK(streamed.points[k].sd == two.points[k].sd);
    CHECK(streamed.points[k].median == two.points[k].median);
    CHECK(streamed.points[k].lower == two.points[k].lower);
    CHECK(streamed.points[k].upper == two.points[k].upper);
    // The interval ends are the quantiles of the stored samples.
    CHECK(two.points[k].lower.back() == quantile(two.samples[k], 0.5 - 0.5 * o.levels.back()));
  }
  o.statistics.storage = Storage::states;
  // Without a usable covariance, asking for parameter uncertainty is an error naming it.
  fit.covariance = Eigen::Matrix2d{{-1.0, 0.0}, {0.0, 1.0}};
  check_throws_naming([&] { forecast_ensemble(drift, diffusion, fit, 0.0, 0.0, horizons, o); }, "fit.covariance");
}

TEST_CASE("OU forecast with an uncertain level: the stationary variance grows by Var(mu)") {
  // κ and σ (nearly) known, μ ~ N(10, 3²): at h = 20 (e^{−κh} = e^{−10}) X ≈ N(μ, σ²/(2κ)), so the forecast
  // variance is σ²/(2κ) + 9 = 4 + 9 and the mean is 10.
  FitResult fit = ou_fit(0.5, 10, 2);
  fit.covariance = Eigen::Vector3d(1e-12, 9.0, 1e-12).asDiagonal();
  fit.lower = Eigen::Vector3d(0.0, -INFINITY, 0.0);
  fit.upper = Eigen::Vector3d(INFINITY, INFINITY, INFINITY);
  ForecastOptions o;
  o.particles = 20000;
  o.parameter_uncertainty = true;
  o.dt = 0.05;  // Euler–Maruyama's stationary variance σ²/(2κ − κ²dt) is 1.3 % high: 4.05 instead of 4
  const Forecast f = forecast(fit, 0.0, 14.0, std::vector<double>{20.0}, o);
  const double n = static_cast<double>(o.particles);
  const double variance = 2.0 * 2.0 / (2 * 0.5 - 0.25 * 0.05) + 9.0;
  CHECK(std::abs(f.points[0].mean - 10.0) < 5 * std::sqrt(variance / n));
  CHECK(std::abs(f.points[0].sd * f.points[0].sd / variance - 1) < 5 * std::sqrt(2 / n));
  o.parameter_uncertainty = false;
  const Forecast plain = forecast(fit, 0.0, 14.0, std::vector<double>{20.0}, o);
  CHECK(std::abs(plain.points[0].sd * plain.points[0].sd / (variance - 9.0) - 1) < 5 * std::sqrt(2 / n));
}

TEST_CASE("backtest bookkeeping: coverage, CRPS and MAE against hand-computed values") {
  // x_i = i at t_i = i. The forecaster puts two particles at y ± 1 around the true outcome y, a 50 % interval
  // that misses (above y) and an 80 % interval that covers: coverage (0, 1), MAE 0, CRPS 1 − ½ = 0.5.
  std::vector<double> t(20), x(20);
  for (int i = 0; i < 20; ++i) t[i] = x[i] = i;
  auto forecaster = [](std::span<const double>, std::span<const double> xx, std::span<const double> horizons) {
    Forecast f;
    f.levels = {0.5, 0.8};
    for (double h : horizons) {
      const double y = xx.back() + h;
      f.points.push_back({0.0, y, 1.0, y, {y + 0.1, y - 1}, {y + 1, y + 1}});
      f.samples.push_back({y - 1, y + 1});
    }
    return f;
  };
  BacktestOptions o;
  o.first_origin = 10;
  o.horizon = 3;
  o.forecast.levels = {0.5, 0.8};
  const BacktestResult r = rolling_backtest(std::span<const double>(t), std::span<const double>(x), forecaster, o);
  CHECK(r.origins == 10);
  REQUIRE(r.rows.size() == 3);
  for (std::size_t k = 0; k < 3; ++k) {
    const BacktestRow& row = r.rows[k];
    const double h = static_cast<double>(k + 1);
    CHECK(row.horizon == k + 1);
    CHECK(row.forecasts == 10 - k);  // origins 9 … 18 with an outcome k + 1 steps later
    CHECK(row.coverage == std::vector<double>{0.0, 1.0});
    CHECK(row.mae == 0.0);
    CHECK(row.crps == doctest::Approx(0.5));
    // The random walk: unit increments per unit time give N(x_o, h); the outcome is √h sd away.
    CHECK(row.naive_mae == doctest::Approx(h));
    CHECK(row.naive_crps == doctest::Approx(crps_normal(0, std::sqrt(h), h)));
    CHECK(row.naive_coverage[0] == 0.0);                   // √h > 0.674 for every h
    CHECK(row.naive_coverage[1] == (k == 0 ? 1.0 : 0.0));  // √h ≤ 1.2816 only for h = 1
    CHECK(r.coverage(k, 0.8) == row.coverage[1]);
    CHECK(r.naive_coverage(k, 0.5) == row.naive_coverage[0]);
  }
  CHECK(r.level_index(0.8) == 1);
  const std::string missing = sdekit_test::message_of([&] { (void)r.coverage(0, 0.9); });
  CHECK_MESSAGE(sdekit_test::contains(missing, "level = 0.9 is not one of the forecast's levels (0.5, 0.8)"), missing);
  check_throws_naming([&] { (void)r.coverage(3, 0.5); }, "row = 3");
  // A forecaster that throws at an origin is skipped and reported.
  auto flaky = [&](std::span<const double> tt, std::span<const double> xx, std::span<const double> hh) {
    if (xx.size() == 12) throw std::runtime_error("no fit");
    return forecaster(tt, xx, hh);
  };
  const BacktestResult s = rolling_backtest(std::span<const double>(t), std::span<const double>(x), flaky, o);
  CHECK(s.origins == 9);
  REQUIRE(s.skipped.size() == 1);
  CHECK(s.skipped[0].find("origin 11: no fit") == 0);
}

TEST_CASE("backtest of OU on OU data: calibrated intervals, better than the random walk") {
  // Exact OU data at unit steps, b = e^{−0.5}: intervals should cover near their level, and mean reversion
  // should beat the random walk 5 steps ahead.
  const double kappa = 0.5, mu = 50, sigma = 4;
  std::vector<double> t(400), x(400);
  RandomStream rng(3, 0, 0);
  x[0] = mu;
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<double>(i);
    if (i > 0)
      x[i] = mu + (x[i - 1] - mu) * std::exp(-kappa) +
             sigma * std::sqrt((1 - std::exp(-2 * kappa)) / (2 * kappa)) * rng.normal();
  }
  BacktestOptions o;
  o.first_origin = 200;
  o.horizon = 5;
  o.forecast.particles = 500;
  o.forecast.substeps = 10;  // Euler–Maruyama at dt = 0.1: a variance bias of about κ dt / 2 = 2.5 %
  o.forecast.levels = {0.8, 0.95};
  const BacktestResult r = backtest_model(ModelKind::ornstein_uhlenbeck, t, x, o);
  CHECK(r.skipped.empty());
  CHECK(r.origins == 200);
  const BacktestRow& one = r.rows[0];  // 200 one-step forecasts with independent innovations
  const double n = static_cast<double>(one.forecasts);
  CHECK(std::abs(one.coverage[0] - 0.8) < 5 * std::sqrt(0.8 * 0.2 / n));
  CHECK(std::abs(one.coverage[1] - 0.95) < 5 * std::sqrt(0.95 * 0.05 / n));
  CHECK(r.rows[4].crps < r.rows[4].naive_crps);
  CHECK(r.rows[4].mae < r.rows[4].naive_mae);
}

TEST_CASE("forecast errors name the argument") {
  const FitResult fit = ou_fit(0.5, 10, 2);
  ForecastOptions o;
  o.particles = 10;
  check_throws_naming([&] { forecast(fit, 0.0, 1.0, std::vector<double>{}, o); }, "horizons.size()");
  check_throws_naming([&] { forecast(fit, 0.0, 1.0, std::vector<double>{2.0, 1.0}, o); }, "horizons[1]");
  check_throws_naming([&] { forecast(fit, 0.0, 1.0, std::vector<double>{-1.0}, o); }, "horizons[0]");
  check_throws_naming([&] { forecast(fit, 0.0, NAN, std::vector<double>{1.0}, o); }, "x0");
  ForecastOptions bad = o;
  bad.levels = {0.8, 1.0};
  check_throws_naming([&] { forecast(fit, 0.0, 1.0, std::vector<double>{1.0}, bad); }, "levels[1]");
  bad = o;
  bad.particles = 1;
  check_throws_naming([&] { forecast(fit, 0.0, 1.0, std::vector<double>{1.0}, bad); }, "options.particles");
  FitResult custom = fit;
  custom.kind = ModelKind::custom;
  check_throws_naming([&] { forecast(custom, 0.0, 1.0, std::vector<double>{1.0}, o); }, "fit.model");
  check_throws_naming([&] { forecast_closed_form(custom, 0.0, 1.0, std::vector<double>{1.0}); }, "fit.model");
  const std::vector<double> t{0, 1, 2, 3}, x{1, 2, 1, 2};
  BacktestOptions b;
  b.first_origin = 4;
  check_throws_naming([&] { backtest_model(ModelKind::ornstein_uhlenbeck, t, x, b); }, "options.first_origin");
  b.first_origin = 3;
  b.horizon = 0;
  check_throws_naming([&] { backtest_model(ModelKind::ornstein_uhlenbeck, t, x, b); }, "options.horizon");
  check_throws_naming([&] { backtest_model(ModelKind::custom, t, x, BacktestOptions{}); }, "kind");
}

TEST_CASE("forecast intervals are addressable by their level") {
  const std::vector<double> horizons{1.0, 3.0};
  const Forecast f = forecast_closed_form(ou_fit(0.5, 10, 2), 0.0, 14.0, horizons, std::vector<double>{0.5, 0.8, 0.95});
  for (std::size_t k = 0; k < horizons.size(); ++k) {
    const Interval i80 = f.interval(k, 0.8);
    CHECK(i80.lower == f.points[k].lower[1]);
    CHECK(i80.upper == f.points[k].upper[1]);
    CHECK(f.interval(k, 0.95).upper == f.points[k].upper[2]);
  }
  CHECK(f.level_index(0.5) == 0);
  CHECK(f.interval(0, 0.1 * 8).lower == f.points[0].lower[1]);  // 0.8000000000000002 is 0.8 up to rounding
  const std::string message = sdekit_test::message_of([&] { (void)f.interval(0, 0.9); });
  CHECK_MESSAGE(sdekit_test::contains(message, "level = 0.9"), message);
  CHECK_MESSAGE(sdekit_test::contains(message, "(0.5, 0.8, 0.95)"), message);
  check_throws_naming([&] { (void)f.interval(2, 0.8); }, "point = 2");
  check_throws_naming([&] { (void)f.level_index(0.99); }, "level");
}

TEST_CASE("ForecastOptions is a RunOptions with 4000 particles; the whole slice reaches the ensemble") {
  ForecastOptions o;
  CHECK(o.particles == 4000);
  CHECK(o.block_size == 256);
  std::size_t calls = 0;
  o.particles = 1000;
  o.seed = 4;
  o.threads = 2;
  o.block_size = 100;
  o.progress = [&](double) { ++calls; };
  const std::vector<double> horizons{0.5, 1.0};
  const FitResult fit = ou_fit(0.5, 10, 2);
  const Forecast a = forecast(fit, 0.0, 14.0, horizons, o);
  CHECK(calls == 10);  // one progress call per block of 100: progress and block_size arrived
  o.schedule = Schedule::dynamic_blocks;
  o.progress = nullptr;
  const Forecast b = forecast(fit, 0.0, 14.0, horizons, o);
  for (std::size_t k = 0; k < horizons.size(); ++k) {
    CHECK(a.samples[k] == b.samples[k]);  // the schedule does not change results
    CHECK(a.points[k].median == b.points[k].median);
  }
}

TEST_CASE("closed-form forecasts refuse a NaN start time or a fit with a NaN parameter, naming it") {
  const std::vector<double> horizons{1.0, 2.0};
  const std::vector<double> levels{0.9};
  check_throws_naming([&] { forecast_closed_form(ou_fit(0.5, 10, 2), std::nan(""), 14.0, horizons, levels); },
                      "sdekit::forecast_closed_form: t0 = nan must be finite");
  check_throws_naming([&] { forecast_closed_form(ou_fit(std::nan(""), 10, 2), 0.0, 14.0, horizons, levels); },
                      "sdekit::forecast_closed_form: fit.parameters = (nan, 10, 2) must be finite");
  check_throws_naming([&] { forecast_closed_form(gbm_fit(0.1, std::nan("")), 0.0, 14.0, horizons, levels); },
                      "fit.parameters = (0.1, nan) must be finite");
}
