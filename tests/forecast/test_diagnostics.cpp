// Residual diagnostics and order selection: Ljung–Box and the χ² tail against statsmodels and scipy; the
// innovations of a right model pass, those of a wrong one fail; AIC order selection over CARMA(p, q).
#include <sdekit/forecast/diagnostics.hpp>
#include <sdekit/forecast/state_space_fit.hpp>
#include <sdekit/forecast/timeseries_csv.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;

TEST_CASE("chi-squared tails against scipy") {
  // tests/data/nile/local_level_reference.txt (scipy.stats.chi2.sf).
  CHECK(chi_squared_survival(3.0, 0.5) == doctest::Approx(3.341644415897894e-02).epsilon(1e-12));
  CHECK(chi_squared_survival(50.0, 7.0) == doctest::Approx(1.444485277921540e-08).epsilon(1e-11));
  CHECK(chi_squared_survival(0.1, 40.0) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(chi_squared_survival(10.0, 10.0) == doctest::Approx(4.404932850652126e-01).epsilon(1e-12));
  CHECK(chi_squared_survival(0.0, 3.0) == 1.0);
  check_throws_naming([] { chi_squared_survival(-1.0, 3.0); }, "x");
  check_throws_naming([] { chi_squared_survival(1.0, 0.0); }, "degrees_of_freedom");
}

TEST_CASE("Ljung-Box against statsmodels' acorr_ljungbox on the Nile") {
  const std::vector<double> y = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv").values[0];
  const LjungBox lb = ljung_box(y, 10);
  CHECK(lb.statistic == doctest::Approx(88.126871551300).epsilon(1e-11));
  CHECK(lb.p_value == doctest::Approx(1.258632767021e-14).epsilon(1e-8));
  CHECK(lb.degrees_of_freedom == 10);
  CHECK(lb.values == 100);
  std::vector<double> d(y.size() - 1);
  for (std::size_t i = 0; i + 1 < y.size(); ++i) d[i] = y[i + 1] - y[i];
  const LjungBox ld = ljung_box(d, 12, 2);
  CHECK(ld.statistic == doctest::Approx(32.898821128411).epsilon(1e-11));
  CHECK(ld.p_value == doctest::Approx(2.832568843153e-04).epsilon(1e-9));
  // NaN (missing, diffuse) residuals are left out.
  std::vector<double> with_nan = y;
  with_nan.insert(with_nan.begin(), std::numeric_limits<double>::quiet_NaN());
  CHECK(ljung_box(with_nan, 10).statistic == lb.statistic);
  check_throws_naming([&] { ljung_box(y, 0); }, "lags");
  check_throws_naming([&] { ljung_box(y, 10, 10); }, "fitted_parameters");
  check_throws_naming([&] { ljung_box(std::vector<double>{1, 2, 3}, 5); }, "non-NaN residuals");
}

TEST_CASE("innovations: the local level's pass Ljung-Box on the Nile, the raw values do not") {
  const TimeSeries ts = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv");
  const StateSpaceFit f = fit_local_level(ts.times, ts.values[0]);
  const LjungBox lb = ljung_box(f.filter.standardised_innovations, 10, 2);
  CHECK(lb.values == 99);  // the first observation resolves the diffuse level: no innovation
  CHECK(lb.p_value > 0.01);
  CHECK(ljung_box(ts.values[0], 10, 2).p_value < 1e-10);
}

TEST_CASE("order selection: AIC over CARMA(p, q), p <= 3, on the Nile") {
  const TimeSeries ts = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv");
  const OrderSelection s = select_carma_order(ts.times, ts.values[0], 3);
  REQUIRE(s.candidates.size() == 6);  // (1,0) (2,0) (2,1) (3,0) (3,1) (3,2)
  CHECK(s.candidates[2].p == 2);
  CHECK(s.candidates[2].q == 1);
  double lowest = s.candidates[0].aic;
  for (const auto& c : s.candidates) lowest = std::min(lowest, c.aic);
  CHECK(s.best.fit.aic == lowest);
  CHECK(s.best.fit.model.rfind("CARMA(", 0) == 0);
  check_throws_naming([&] { select_carma_order(ts.times, ts.values[0], 5); }, "max_p");
}
