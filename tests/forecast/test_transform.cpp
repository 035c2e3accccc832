// Transforms and back-transformed forecasts: the CRPS of a log-normal against its closed form (Baran & Lerch 2015),
// of the square-root and Box–Cox laws against a direct quadrature of ∫(F(x) − 1{x ≥ y})² dx, the back-transformed
// moments and intervals against closed forms, and bad input.
#include <sdekit/forecast/forecast.hpp>
#include <sdekit/forecast/state_space.hpp>
#include <sdekit/forecast/transform.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;

namespace {

double Phi(double u) { return 0.5 * std::erfc(-u / std::numbers::sqrt2); }

// CRPS of the log-normal LN(m, s²) at y > 0 (Baran & Lerch 2015, eq. 5).
double crps_lognormal(double m, double s, double y) {
  const double z = (std::log(y) - m) / s;
  return y * (2 * Phi(z) - 1) - 2 * std::exp(m + s * s / 2) * (Phi(z - s) + Phi(s / std::numbers::sqrt2) - 1);
}

// ∫(F(x) − 1{x ≥ y})² dx over [lo, hi] for a CDF F, by the trapezoid rule on n intervals (split at y).
template <class F>
double crps_by_definition(const F& cdf, double y, double lo, double hi, int n) {
  auto piece = [&](double a, double b, bool above) {
    const double h = (b - a) / n;
    double s = 0;
    for (int i = 0; i <= n; ++i) {
      const double x = a + i * h;
      const double d = cdf(x) - (above ? 1.0 : 0.0);
      s += (i == 0 || i == n ? 0.5 : 1.0) * d * d;
    }
    return s * h;
  };
  return piece(lo, y, false) + piece(y, hi, true);
}

}  // namespace

TEST_CASE("log transform: CRPS equals the log-normal closed form; moments and intervals are exact") {
  for (double m : {-1.0, 0.0, 2.0})
    for (double s : {0.1, 0.5, 1.2})
      for (double q : {-3.0, -0.7, 0.0, 0.4, 2.5}) {
        const double y = std::exp(m + q * s);
        INFO("m = " << m << ", s = " << s << ", y = " << y);
        CHECK(crps_transformed_normal(log_transform(), m, s, y) ==
              doctest::Approx(crps_lognormal(m, s, y)).epsilon(1e-8));
        CHECK(crps_transformed_normal(box_cox_transform(0.0), m, s, y) ==
              doctest::Approx(crps_lognormal(m, s, y)).epsilon(1e-8));
      }
  // An outcome at or below 0 is below every quantile: CRPS = E|Y − y| − ½E|Y − Y'| = E Y − y − ½E|Y − Y'|.
  CHECK(crps_transformed_normal(log_transform(), 0.0, 0.5, -1.0) ==
        doctest::Approx(crps_lognormal(0.0, 0.5, 1e-300) + 1.0).epsilon(1e-8));
  const double m = 1.0, s = 0.6;
  const std::vector<double> levels{0.8, 0.95};
  const ForecastPoint p = back_transform_normal(log_transform(), m, s, levels);
  CHECK(p.mean == doctest::Approx(std::exp(m + s * s / 2)).epsilon(1e-9));
  CHECK(p.sd == doctest::Approx(std::sqrt(std::expm1(s * s)) * std::exp(m + s * s / 2)).epsilon(1e-8));
  CHECK(p.median == doctest::Approx(std::exp(m)));
  CHECK(p.lower[1] == doctest::Approx(std::exp(m - 1.959963984540054 * s)).epsilon(1e-12));
  CHECK(p.upper[0] == doctest::Approx(std::exp(m + 1.2815515655446004 * s)).epsilon(1e-12));
}

TEST_CASE("sqrt and Box-Cox: CRPS equals the quadrature of its definition, atom at 0 included") {
  struct Case {
    Transform t;
    double mean, sd, y;
  };
  const std::vector<Case> cases{{sqrt_transform(), 3.0, 0.5, 7.0},       {sqrt_transform(), 0.5, 0.6, 0.2},
                                {sqrt_transform(), 0.5, 0.6, 3.0},       {box_cox_transform(0.3), 2.0, 0.4, 5.0},
                                {box_cox_transform(0.5), 0.2, 1.0, 1.5}, {box_cox_transform(-0.5), 0.5, 0.2, 2.0}};
  for (const Case& c : cases) {
    // F(x) = P(T⁻¹(Z) ≤ x) = Φ((T(x) − mean)/sd) for x in the domain; for x ≥ 0 below it, the atom P(Z < T(0⁺)).
    auto cdf = [&](double x) {
      if (x < 0) return 0.0;
      if (x == 0)
        return c.t.kind == Transform::Kind::sqrt ? Phi((0 - c.mean) / c.sd)
                                                 : (c.t.lambda > 0 ? Phi((-1 / c.t.lambda - c.mean) / c.sd) : 0.0);
      return Phi((c.t.forward(x) - c.mean) / c.sd);
    };
    // λ < 0: the implementation leaves out z above −1/λ − sd (y = ∞ at −1/λ), so the direct integral stops there.
    const double hi = c.t.inverse(c.t.lambda < 0 ? -1 / c.t.lambda - c.sd : c.mean + 9 * c.sd);
    const double direct = crps_by_definition(cdf, c.y, 0.0, std::isfinite(hi) ? hi : 1e6, 400000);
    INFO("lambda " << c.t.lambda << ", mean " << c.mean << ", sd " << c.sd << ", y " << c.y);
    CHECK(crps_transformed_normal(c.t, c.mean, c.sd, c.y) == doctest::Approx(direct).epsilon(1e-6));
  }
  // Box–Cox with λ = 1 is a shift by 1: the normal CRPS (the atom at 0 has mass Φ(−11), nothing).
  CHECK(crps_transformed_normal(box_cox_transform(1.0), 10.0, 1.0, 12.5) ==
        doctest::Approx(crps_normal(11.0, 1.0, 12.5)).epsilon(1e-9));
  // sqrt: E Y = E Z² = m² + s² when Z is far from 0.
  const ForecastPoint p = back_transform_normal(sqrt_transform(), 10.0, 0.5, std::vector<double>{0.9});
  CHECK(p.mean == doctest::Approx(100.25).epsilon(1e-9));
  CHECK(p.sd == doctest::Approx(std::sqrt(4 * 100 * 0.25 + 2 * 0.0625)).epsilon(1e-8));
}

TEST_CASE("back_transform: a state-space forecast of log values, and an ensemble's samples") {
  // A local level on the log scale: the back-transformed forecast is log-normal.
  const std::vector<double> t{0, 1, 2, 3, 4, 5};
  const std::vector<double> y{10, 12, 11, 14, 13, 15};
  const std::vector<double> z = transform_values(log_transform(), y);
  const LinearSdeModel m = local_level_model(0.1, 0.05);
  const KalmanResult f = kalman_filter(m, t, z);
  const std::vector<double> ahead{1.0, 3.0};
  const StateSpaceForecast fz = forecast_state_space(m, f, ahead);
  const Forecast fy = back_transform(log_transform(), fz, t.back(), std::vector<double>{0.8});
  REQUIRE(fy.points.size() == 2);
  CHECK(fy.points[1].time == 8.0);
  CHECK(fy.points[1].median == doctest::Approx(std::exp(fz.mean[1](0))));
  CHECK(fy.points[1].mean == doctest::Approx(std::exp(fz.mean[1](0) + 0.5 * fz.sd(1) * fz.sd(1))).epsilon(1e-9));
  CHECK(fy.interval(0, 0.8).upper == doctest::Approx(std::exp(fz.mean[0](0) + 1.2815515655446004 * fz.sd(0))));
  CHECK(log_jacobian_sum(log_transform(), y) == doctest::Approx(-std::log(10.0 * 12 * 11 * 14 * 13 * 15)));

  Forecast ensemble;
  ensemble.levels = {0.5};
  ensemble.points.resize(1);
  ensemble.points[0].median = 1.0;
  ensemble.points[0].lower = {0.5};
  ensemble.points[0].upper = {1.5};
  ensemble.samples = {{0.0, 1.0, 2.0}};
  const Forecast back = back_transform(log_transform(), ensemble);
  CHECK(back.samples[0][2] == doctest::Approx(std::exp(2.0)));
  CHECK(back.points[0].median == doctest::Approx(std::exp(1.0)));
  CHECK(back.points[0].mean == doctest::Approx((1 + std::exp(1.0) + std::exp(2.0)) / 3));
  CHECK(back.points[0].upper[0] == doctest::Approx(std::exp(1.5)));
}

TEST_CASE("transforms: bad input is refused naming the argument") {
  const std::vector<double> y{1.0, 2.0, std::numeric_limits<double>::quiet_NaN(), -1.0};
  check_throws_naming([&] { (void)transform_values(log_transform(), y); }, "values[3]");
  check_throws_naming([&] { (void)transform_values(sqrt_transform(), y); }, "values[3]");
  CHECK(std::isnan(transform_values(log_transform(), std::vector<double>{1.0, std::nan("")})[1]));
  check_throws_naming([] { (void)box_cox_transform(std::numeric_limits<double>::infinity()); }, "lambda");
  check_throws_naming([] { (void)crps_transformed_normal(log_transform(), 0.0, -1.0, 1.0); }, "sd");
  check_throws_naming([] { (void)crps_transformed_normal(log_transform(), 0.0, 1.0, std::nan("")); }, "y");
  check_throws_naming([] { (void)back_transform_normal(log_transform(), 0.0, 1.0, std::vector<double>{1.5}); },
                      "level");
}
