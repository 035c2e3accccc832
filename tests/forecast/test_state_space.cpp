// Linear state-space SDE models against independent computations: Van Loan's Q(Δ) against the OU closed form and
// a quadrature of e^{As}GGᵀe^{Aᵀs}; the Kalman likelihood against statsmodels (Nile local level), a dense Gaussian
// likelihood and the OU exact likelihood; missing values against dropping them; the smoother and forecasts
// against statsmodels.
#include <sdekit/core/noise.hpp>
#include <sdekit/forecast/fit.hpp>
#include <sdekit/forecast/forecast.hpp>
#include <sdekit/forecast/state_space.hpp>
#include <sdekit/forecast/timeseries_csv.hpp>

#include <Eigen/Cholesky>
#include <unsupported/Eigen/MatrixFunctions>

#include <doctest/doctest.h>
#include "forecast/simulate_linear_sde.hpp"
#include "test_support.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using sdekit_test::simulate_linear_sde;
using namespace sdekit;

namespace {

constexpr double missing = std::numeric_limits<double>::quiet_NaN();

std::vector<double> nile() { return read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/nile/nile.csv").values[0]; }

std::vector<double> years(std::size_t n) {
  std::vector<double> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = 1871.0 + static_cast<double>(i);
  return t;
}

// Irregular increasing times: gaps uniform in [0.2, 1.8].
std::vector<double> irregular_times(std::size_t n, std::uint64_t seed) {
  RandomStream rng(seed, 0, 0);
  std::vector<double> t{0.0};
  while (t.size() < n) t.push_back(t.back() + 0.2 + 1.6 * rng.uniform());
  return t;
}

// A CARMA(2,1) with observation noise: oscillating (roots −0.3 ± 1.2i), MA root −2.
LinearSdeModel example_carma() {
  return carma_model(Eigen::Vector2d(0.6, 0.09 + 1.44), Eigen::VectorXd::Constant(1, 2.0), 1.5, 10.0, 0.4);
}

}  // namespace

TEST_CASE("Van Loan: scalar OU against the closed form σ²(1 − e^{−2θΔ})/(2θ), and the drift constant") {
  const double theta = 0.7, sigma = 1.3, b = 2.0;
  LinearSdeModel m;
  m.A = Eigen::MatrixXd::Constant(1, 1, -theta);
  m.b = Eigen::VectorXd::Constant(1, b);
  m.G = Eigen::MatrixXd::Constant(1, 1, sigma);
  m.C = Eigen::MatrixXd::Ones(1, 1);
  m.R = Eigen::MatrixXd::Zero(1, 1);
  for (double step : {1e-4, 0.3, 1.0, 7.5, 60.0}) {
    CAPTURE(step);
    const Discretisation d = discretise(m, step);
    CHECK(d.Phi(0, 0) == doctest::Approx(std::exp(-theta * step)).epsilon(1e-13));
    CHECK(d.Q(0, 0) == doctest::Approx(sigma * sigma * -std::expm1(-2 * theta * step) / (2 * theta)).epsilon(1e-12));
    CHECK(d.c(0) == doctest::Approx(b * -std::expm1(-theta * step) / theta).epsilon(1e-12));
  }
  // A step far beyond the time scale: Q is the stationary variance, Φ vanishes, nothing overflows.
  const Discretisation far = discretise(m, 1e300);
  CHECK(far.Q(0, 0) == doctest::Approx(sigma * sigma / (2 * theta)).epsilon(1e-12));
  CHECK(far.Phi(0, 0) == 0.0);
  // Brownian motion (A = 0): Q = σ²Δ.
  m.A(0, 0) = 0.0;
  CHECK(discretise(m, 3.0).Q(0, 0) == doctest::Approx(sigma * sigma * 3.0).epsilon(1e-14));
  check_throws_naming([&] { discretise(m, -1.0); }, "step");
}

TEST_CASE("Van Loan: the integrated random walk against its closed form") {
  // dμ = ν dt, dν = σ dW: Q(Δ) = σ² [[Δ³/3, Δ²/2], [Δ²/2, Δ]] (A nilpotent, so e^{As} = I + As exactly).
  const LinearSdeModel m = local_linear_trend_model(0.0, 0.7, 0.0, 1.0);
  for (double step : {0.1, 1.0, 25.0}) {
    CAPTURE(step);
    const Discretisation d = discretise(m, step);
    const double v = 0.49;
    CHECK(d.Q(0, 0) == doctest::Approx(v * step * step * step / 3).epsilon(1e-12));
    CHECK(d.Q(0, 1) == doctest::Approx(v * step * step / 2).epsilon(1e-12));
    CHECK(d.Q(1, 1) == doctest::Approx(v * step).epsilon(1e-12));
    CHECK(d.Phi(0, 1) == doctest::Approx(step).epsilon(1e-13));
  }
}

TEST_CASE("Van Loan: a 2-D oscillating model against Simpson quadrature of e^{As} G Gᵀ e^{Aᵀs}") {
  Eigen::Matrix2d A;
  A << -0.5, 1.0, -2.0, -0.3;
  Eigen::Matrix2d G;
  G << 0.3, 0.0, 0.1, 0.7;
  LinearSdeModel m;
  m.A = A;
  m.G = G;
  m.C = Eigen::MatrixXd::Identity(2, 2);
  m.R = Eigen::MatrixXd::Zero(2, 2);
  for (double step : {0.4, 1.7, 12.0}) {
    CAPTURE(step);
    const int intervals = 4000;  // Simpson's error ~ (Δ/4000)^4 ‖f''''‖: below 1e-12 here
    const double h = step / intervals;
    Eigen::Matrix2d integral = Eigen::Matrix2d::Zero();
    for (int i = 0; i <= intervals; ++i) {
      const Eigen::Matrix2d E = (A * (i * h)).exp();
      const double w = (i == 0 || i == intervals) ? 1.0 : (i % 2 ? 4.0 : 2.0);
      integral += w * E * G * G.transpose() * E.transpose();
    }
    integral *= h / 3;
    const Discretisation d = discretise(m, step);
    CHECK((d.Q - integral).cwiseAbs().maxCoeff() < 1e-10 * integral.cwiseAbs().maxCoeff());
    CHECK((d.Phi - Eigen::MatrixXd((A * step).exp())).cwiseAbs().maxCoeff() < 1e-12);
  }
  // Over a long step Q tends to the stationary covariance, the Lyapunov solution.
  const Eigen::MatrixXd P = solve_lyapunov(A, G * G.transpose());
  CHECK((A * P + P * A.transpose() + G * G.transpose()).cwiseAbs().maxCoeff() < 1e-13);
  CHECK((discretise(m, 200.0).Q - P).cwiseAbs().maxCoeff() < 1e-12);
  check_throws_naming([&] { solve_lyapunov(-A, G * G.transpose()); }, "must be stable");
}

TEST_CASE("Kalman: the Nile local level equals statsmodels' UnobservedComponents log-likelihood") {
  // tests/data/nile/local_level_reference.txt, made by local_level_reference.py (statsmodels 0.13.5, exact
  // diffuse initialisation) at Durbin & Koopman's estimates σ²_ε = 15099, σ²_η = 1469.1.
  const auto y = nile();
  const auto t = years(y.size());
  const LinearSdeModel m = local_level_model(std::sqrt(1469.1), std::sqrt(15099.0));
  const KalmanResult f = kalman_filter(m, t, y);
  CHECK(std::abs(f.log_likelihood - -633.464563648879) < 1e-6);
  CHECK(f.observations == 100);
  CHECK(f.diffuse_observations == 1);
  // y[20:40] and y[60] missing (NaN in statsmodels too).
  auto gaps = y;
  for (std::size_t i = 20; i < 40; ++i) gaps[i] = missing;
  gaps[60] = missing;
  const KalmanResult g = kalman_filter(m, t, gaps);
  CHECK(std::abs(g.log_likelihood - -497.845591409966) < 1e-6);
  CHECK(g.observations == 79);

  // Smoother and forecasts from the same reference file.
  const SmoothedStates s = rts_smoother(f);
  CHECK(s.mean[0](0) == doctest::Approx(1111.668319127).epsilon(1e-9));
  CHECK(s.covariance[0](0, 0) == doctest::Approx(4032.157941808).epsilon(1e-8));
  CHECK(s.mean[28](0) == doctest::Approx(950.930086740).epsilon(1e-9));
  CHECK(s.covariance[28](0, 0) == doctest::Approx(2326.756917244).epsilon(1e-8));
  CHECK(s.mean[99](0) == doctest::Approx(798.370292608).epsilon(1e-9));
  CHECK(s.covariance[99](0, 0) == doctest::Approx(4032.157941809).epsilon(1e-8));
  const std::vector<double> horizons{1.0, 10.0};
  const StateSpaceForecast fc = forecast_state_space(m, f, horizons);
  CHECK(fc.mean[0](0) == doctest::Approx(798.370292608).epsilon(1e-9));
  CHECK(fc.mean[1](0) == doctest::Approx(798.370292608).epsilon(1e-9));
  CHECK(fc.covariance[0](0, 0) == doctest::Approx(20600.257941809).epsilon(1e-8));
  CHECK(fc.covariance[1](0, 0) == doctest::Approx(33822.157941809).epsilon(1e-8));
  CHECK(fc.sd(1) == doctest::Approx(std::sqrt(33822.157941809)).epsilon(1e-8));
}

TEST_CASE("Kalman: a local linear trend with a fixed slope equals statsmodels' (two diffuse observations)") {
  const auto y = nile();
  const auto t = years(y.size());
  const KalmanResult f = kalman_filter(local_linear_trend_model(std::sqrt(1469.1), 0.0, 0.0, std::sqrt(15099.0)), t, y);
  CHECK(f.diffuse_observations == 2);
  CHECK(std::abs(f.log_likelihood - -631.730148707006) < 1e-6);
}

TEST_CASE("Kalman: missing values give the likelihood of the series without them (exact over the longer gap)") {
  const auto t = irregular_times(80, 3);
  const LinearSdeModel m = example_carma();
  auto y = simulate_linear_sde(m, t, 17);
  std::vector<double> kept_t, kept_y;
  auto gaps = y;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (i % 7 == 3 || (i >= 40 && i < 46)) {
      gaps[i] = missing;
    } else {
      kept_t.push_back(t[i]);
      kept_y.push_back(y[i]);
    }
  }
  const double with_gaps = kalman_filter(m, t, gaps).log_likelihood;
  const double dropped = kalman_filter(m, kept_t, kept_y).log_likelihood;
  CHECK(with_gaps == doctest::Approx(dropped).epsilon(1e-11));
  // Power: the full series has a different likelihood.
  CHECK(std::abs(kalman_filter(m, t, y).log_likelihood - dropped) > 1.0);
  // The same for the diffuse local level.
  const LinearSdeModel ll = local_level_model(0.8, 0.5);
  CHECK(kalman_filter(ll, t, gaps).log_likelihood ==
        doctest::Approx(kalman_filter(ll, kept_t, kept_y).log_likelihood).epsilon(1e-11));
}

TEST_CASE("Kalman: a stationary CARMA(2,1) with noise equals the dense Gaussian likelihood") {
  const auto t = irregular_times(40, 5);
  const LinearSdeModel m = example_carma();
  const auto y = simulate_linear_sde(m, t, 23);
  // Cov(Y_i, Y_j) = C e^{A(t_j − t_i)} P∞ Cᵀ for t_i ≤ j, plus R on the diagonal.
  const Eigen::MatrixXd P = solve_lyapunov(m.A, m.G * m.G.transpose());
  const auto n = static_cast<Eigen::Index>(t.size());
  Eigen::MatrixXd S(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i; j < n; ++j) {
      const Eigen::MatrixXd E = (m.A * (t[static_cast<std::size_t>(j)] - t[static_cast<std::size_t>(i)])).exp();
      S(i, j) = S(j, i) = (m.C * E * P * m.C.transpose())(0, 0) + (i == j ? m.R(0, 0) : 0.0);
    }
  Eigen::VectorXd r(n);
  for (Eigen::Index i = 0; i < n; ++i) r[i] = y[static_cast<std::size_t>(i)] - m.d[0];
  const Eigen::LLT<Eigen::MatrixXd> llt(S);
  const Eigen::VectorXd z = llt.matrixL().solve(r);
  const Eigen::MatrixXd L = llt.matrixL();
  const double dense = -0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi) -
                       L.diagonal().array().log().sum() - 0.5 * z.squaredNorm();
  CHECK(kalman_filter(m, t, y).log_likelihood == doctest::Approx(dense).epsilon(1e-9));
  // Power: a slightly different MA coefficient changes the likelihood beyond that tolerance.
  const LinearSdeModel other =
      carma_model(Eigen::Vector2d(0.6, 0.09 + 1.44), Eigen::VectorXd::Constant(1, 2.02), 1.5, 10.0, 0.4);
  CHECK(std::abs(kalman_filter(other, t, y).log_likelihood - dense) > 1e-6 * std::abs(dense));
}

TEST_CASE("Kalman: a two-component observation with correlated noise equals the dense likelihood") {
  // Observing both states of the 2-D model with correlated R exercises the Cholesky decorrelation, and a
  // partly missing row the selection of R's observed block.
  LinearSdeModel m;
  m.A = (Eigen::Matrix2d() << -0.5, 1.0, -2.0, -0.3).finished();
  m.G = (Eigen::Matrix2d() << 0.3, 0.0, 0.1, 0.7).finished();
  m.C = (Eigen::Matrix2d() << 1.0, 0.0, 0.5, 1.0).finished();
  m.R = (Eigen::Matrix2d() << 0.04, 0.01, 0.01, 0.09).finished();
  const std::vector<double> t{0.0, 0.7, 1.1, 2.5};
  Eigen::MatrixXd y(4, 2);
  y << 0.1, -0.2, 0.3, missing, -0.4, 0.2, 0.0, 0.5;
  const Eigen::MatrixXd P = solve_lyapunov(m.A, m.G * m.G.transpose());
  std::vector<std::pair<int, int>> seen;  // (time, component)
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 2; ++j)
      if (!std::isnan(y(k, j))) seen.emplace_back(k, j);
  const auto n = static_cast<Eigen::Index>(seen.size());
  Eigen::MatrixXd S(n, n);
  Eigen::VectorXd r(n);
  for (Eigen::Index a = 0; a < n; ++a) {
    r[a] = y(seen[a].first, seen[a].second);
    for (Eigen::Index b = 0; b < n; ++b) {
      auto [ka, ja] = seen[a];
      auto [kb, jb] = seen[b];
      const Eigen::MatrixXd cross = kb >= ka ? Eigen::MatrixXd((m.A * (t[kb] - t[ka])).exp() * P)
                                             : Eigen::MatrixXd(P * (m.A * (t[ka] - t[kb])).exp().transpose());
      S(a, b) = (m.C.row(jb) * cross * m.C.row(ja).transpose())(0, 0) + (ka == kb ? m.R(ja, jb) : 0.0);
    }
  }
  const Eigen::LLT<Eigen::MatrixXd> llt(S);
  const Eigen::MatrixXd L = llt.matrixL();
  const double dense = -0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi) -
                       L.diagonal().array().log().sum() - 0.5 * L.triangularView<Eigen::Lower>().solve(r).squaredNorm();
  CHECK(kalman_filter(m, t, y).log_likelihood == doctest::Approx(dense).epsilon(1e-10));
}

TEST_CASE("sum_of_components: two OU components equal the dense likelihood with the summed covariance") {
  const auto t = irregular_times(30, 13);
  const double k1 = 0.3, s1 = 1.0, k2 = 3.0, s2 = 2.0;
  const LinearSdeModel m =
      sum_of_components({carma_model(Eigen::VectorXd::Constant(1, k1), Eigen::VectorXd(), s1, 5.0, 0.2),
                         carma_model(Eigen::VectorXd::Constant(1, k2), Eigen::VectorXd(), s2, 1.0, 0.3)});
  CHECK(m.A.rows() == 2);
  CHECK(m.d[0] == 6.0);
  CHECK(m.R(0, 0) == doctest::Approx(0.04 + 0.09));
  const auto y = simulate_linear_sde(m, t, 41);
  const auto n = static_cast<Eigen::Index>(t.size());
  Eigen::MatrixXd S(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      const double h = std::abs(t[static_cast<std::size_t>(i)] - t[static_cast<std::size_t>(j)]);
      S(i, j) = s1 * s1 / (2 * k1) * std::exp(-k1 * h) + s2 * s2 / (2 * k2) * std::exp(-k2 * h) + (i == j ? 0.13 : 0.0);
    }
  Eigen::VectorXd r(n);
  for (Eigen::Index i = 0; i < n; ++i) r[i] = y[static_cast<std::size_t>(i)] - 6.0;
  const Eigen::LLT<Eigen::MatrixXd> llt(S);
  const Eigen::MatrixXd L = llt.matrixL();
  const double dense = -0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi) -
                       L.diagonal().array().log().sum() - 0.5 * L.triangularView<Eigen::Lower>().solve(r).squaredNorm();
  CHECK(kalman_filter(m, t, y).log_likelihood == doctest::Approx(dense).epsilon(1e-10));
  check_throws_naming([] { sum_of_components({}); }, "components.size()");
}

TEST_CASE("CARMA(1,0) is OU: stationary density of the first value times the OU exact likelihood") {
  const double kappa = 0.9, mu = 3.0, sigma = 0.5;
  const auto t = irregular_times(30, 9);
  const LinearSdeModel m = carma_model(Eigen::VectorXd::Constant(1, kappa), Eigen::VectorXd(), sigma, mu);
  const auto y = simulate_linear_sde(m, t, 31);
  const double v0 = sigma * sigma / (2 * kappa);
  const double first = -0.5 * std::log(2 * std::numbers::pi * v0) - 0.5 * (y[0] - mu) * (y[0] - mu) / v0;
  CHECK(kalman_filter(m, t, y).log_likelihood ==
        doctest::Approx(first + ou_log_likelihood(t, y, kappa, mu, sigma)).epsilon(1e-12));
}

TEST_CASE("model families: CARMA stationarity and bad input are refused naming the argument") {
  const auto roots = ar_polynomial_roots(Eigen::Vector2d(3.0, 2.0));  // z² + 3z + 2 = (z + 1)(z + 2)
  CHECK(std::min(roots[0].real(), roots[1].real()) == doctest::Approx(-2.0));
  CHECK(std::max(roots[0].real(), roots[1].real()) == doctest::Approx(-1.0));
  check_throws_naming([] { carma_model(Eigen::Vector2d(-0.1, 1.0), Eigen::VectorXd(), 1.0, 0.0); },
                      "ar = (-0.1, 1) is not stationary");
  check_throws_naming([] { carma_model(Eigen::Vector2d(1.0, -1.0), Eigen::VectorXd(), 1.0, 0.0); }, "not stationary");
  check_throws_naming([] { carma_model(Eigen::VectorXd::Ones(5), Eigen::VectorXd(), 1.0, 0.0); }, "ar.size()");
  check_throws_naming([] { carma_model(Eigen::Vector2d(3.0, 2.0), Eigen::Vector2d(1.0, 1.0), 1.0, 0.0); }, "ma.size()");
  check_throws_naming([] { carma_model(Eigen::Vector2d(3.0, 2.0), Eigen::VectorXd(), -1.0, 0.0); }, "sigma");
  check_throws_naming([] { local_level_model(-1.0, 1.0); }, "sigma_level");
  check_throws_naming([] { local_linear_trend_model(1.0, 1.0, -0.5, 1.0); }, "slope_rate");
  // A local level has no stationary law: asking for one is refused.
  LinearSdeModel random_walk = local_level_model(1.0, 1.0);
  random_walk.initial.kind = InitialLaw::Kind::stationary;
  const std::vector<double> t{0.0, 1.0, 2.0}, y{1.0, 2.0, 1.5};
  check_throws_naming([&] { kalman_filter(random_walk, t, y); }, "has no stationary law");
  check_throws_naming(
      [&] {
        kalman_filter(local_level_model(1.0, 1.0), std::vector<double>{0.0, 1.0, 1.0}, y);
      },
      "times[2]");
  const std::vector<double> bad{1.0, std::numeric_limits<double>::infinity(), 2.0};
  check_throws_naming([&] { kalman_filter(local_level_model(1.0, 1.0), t, bad); }, "observations(1, 0)");
  // The local linear trend with a Brownian slope spends two observations on its diffuse law (statsmodels'
  // UnobservedComponents('local linear trend') with σ²_trend = 0 is the same model at unit steps:
  // tests/data/nile/local_level_reference.txt); smoothing over the
  // first state is then refused, forecasting after it is fine.
  const KalmanResult f = kalman_filter(local_linear_trend_model(1.0, 0.1, 0.0, 0.5), t, y);
  CHECK(f.diffuse_observations == 2);
  check_throws_naming([&] { rts_smoother(f); }, "filtered.diffuse[0]");
  CHECK(std::isfinite(forecast_state_space(local_linear_trend_model(1.0, 0.1, 0.0, 0.5), f, t).sd(2)));
}

namespace {
// The first `years` years of the monthly El Niño SST (tests/data/elnino/elnino.csv, one row per year), in order.
std::vector<double> elnino_months(std::size_t years) {
  const TimeSeries wide = read_time_series(std::string(SDEKIT_TEST_DATA_DIR) + "/elnino/elnino.csv");
  std::vector<double> y;
  for (std::size_t r = 0; r < years; ++r)
    for (std::size_t month = 0; month < 12; ++month) y.push_back(wide.values[month][r]);
  return y;
}
}  // namespace

TEST_CASE("seasonal: local level + trigonometric seasonal equals statsmodels' UnobservedComponents (El Nino)") {
  // tests/data/elnino/seasonal_reference.txt, made by seasonal_reference.py (statsmodels 0.13.5, exact diffuse
  // initialisation): level="llevel", freq_seasonal period 12 with 2 harmonics, first 240 months, at σ²_ε = 0.3,
  // σ²_level = 0.2, σ²_seasonal = 0.01. The continuous undamped seasonal at unit steps is that discrete component.
  const std::vector<double> y = elnino_months(20);
  std::vector<double> t(y.size());
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<double>(i);
  const LinearSdeModel m =
      sum_of_components({local_level_model(std::sqrt(0.2), std::sqrt(0.3)), seasonal_model(12.0, 2, std::sqrt(0.01))});
  const KalmanResult f = kalman_filter(m, t, y);
  CHECK(std::abs(f.log_likelihood - -255.044402003385) < 1e-6);
  CHECK(f.diffuse_observations == 5);  // level + 4 seasonal states
  auto gaps = y;
  for (std::size_t i = 30; i < 45; ++i) gaps[i] = missing;
  gaps[100] = missing;
  CHECK(std::abs(kalman_filter(m, t, gaps).log_likelihood - -239.492708813172) < 1e-6);
  // The same data with a period of 12.5 (a wrong period) gives a clearly different likelihood.
  const LinearSdeModel wrong =
      sum_of_components({local_level_model(std::sqrt(0.2), std::sqrt(0.3)), seasonal_model(12.5, 2, std::sqrt(0.01))});
  CHECK(std::abs(kalman_filter(wrong, t, y).log_likelihood - f.log_likelihood) > 1.0);
}

TEST_CASE("seasonal: the transition is a rotation with Q = σ²Δ I; damped, the stationary variance is σ²/(2λ)") {
  const double period = 7.0, sigma = 0.3, delta = 2.5;
  const Discretisation d = discretise(seasonal_model(period, 1, sigma), delta);
  const double angle = 2 * std::numbers::pi / period * delta;
  CHECK(d.Phi(0, 0) == doctest::Approx(std::cos(angle)).epsilon(1e-12));
  CHECK(d.Phi(0, 1) == doctest::Approx(std::sin(angle)).epsilon(1e-12));
  CHECK(d.Phi(1, 0) == doctest::Approx(-std::sin(angle)).epsilon(1e-12));
  CHECK(d.Q(0, 0) == doctest::Approx(sigma * sigma * delta).epsilon(1e-12));
  CHECK(std::abs(d.Q(0, 1)) < 1e-14);
  const double lambda = 0.4;
  const InitialLaw law = resolve_initial_law(seasonal_model(period, 3, sigma, lambda));
  for (Eigen::Index i = 0; i < 6; ++i) CHECK(law.covariance(i, i) == doctest::Approx(sigma * sigma / (2 * lambda)));
  CHECK(law.covariance.cwiseAbs().sum() == doctest::Approx(6 * sigma * sigma / (2 * lambda)));
}

TEST_CASE("multivariate OU: diagonal κ equals two independent scalar OU likelihoods; a general κ its closed mean") {
  const std::vector<double> t = irregular_times(60, 17);
  const Eigen::Vector2d kappa(0.7, 2.0), mu(1.0, -3.0), sigma(0.5, 1.5);
  const LinearSdeModel m =
      multivariate_ou_model(kappa.asDiagonal(), mu, Eigen::MatrixXd(sigma.asDiagonal()));  // observes both states
  RandomStream rng(18, 0, 0);
  Eigen::MatrixXd y(static_cast<Eigen::Index>(t.size()), 2);
  for (Eigen::Index k = 0; k < y.rows(); ++k)
    for (Eigen::Index j = 0; j < 2; ++j) y(k, j) = mu[j] + rng.normal();
  double expected = 0;
  for (Eigen::Index j = 0; j < 2; ++j) {
    std::vector<double> x(t.size());
    for (std::size_t k = 0; k < t.size(); ++k) x[k] = y(static_cast<Eigen::Index>(k), j);
    const double v = sigma[j] * sigma[j] / (2 * kappa[j]);  // stationary density of the first value
    expected += -0.5 * (std::log(2 * std::numbers::pi * v) + (x[0] - mu[j]) * (x[0] - mu[j]) / v) +
                ou_log_likelihood(t, x, kappa[j], mu[j], sigma[j]);
  }
  CHECK(kalman_filter(m, t, y).log_likelihood == doctest::Approx(expected).epsilon(1e-10));
  // A coupled κ: the mean transition is μ + e^{−κΔ}(x − μ), so c = (I − e^{−κΔ}) μ.
  const Eigen::Matrix2d coupled = (Eigen::Matrix2d() << 0.5, -1.0, 1.0, 0.5).finished();
  const Discretisation d = discretise(multivariate_ou_model(coupled, mu, Eigen::Matrix2d::Identity()), 0.8);
  const Eigen::MatrixXd E = (-coupled * 0.8).exp();
  CHECK((d.Phi - E).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((d.c - (Eigen::Matrix2d::Identity() - E) * mu).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((resolve_initial_law(multivariate_ou_model(coupled, mu, Eigen::Matrix2d::Identity())).mean - mu)
            .cwiseAbs()
            .maxCoeff() < 1e-12);
}

TEST_CASE("multivariate OU and seasonal: bad input is refused naming the argument") {
  const Eigen::Matrix2d explosive = (Eigen::Matrix2d() << 0.5, 0.0, 0.0, -0.1).finished();
  check_throws_naming([&] { (void)multivariate_ou_model(explosive, Eigen::Vector2d::Zero(), Eigen::Matrix2d::Identity()); },
                      "kappa");
  check_throws_naming(
      [&] { (void)multivariate_ou_model(Eigen::Matrix2d::Identity(), Eigen::Vector3d::Zero(), Eigen::Matrix2d::Identity()); },
      "mu.size()");
  check_throws_naming([] { (void)seasonal_model(0.0, 1, 1.0); }, "period");
  check_throws_naming([] { (void)seasonal_model(12.0, 0, 1.0); }, "harmonics");
  check_throws_naming([] { (void)seasonal_model(12.0, 1, -1.0); }, "sigma");
  check_throws_naming([] { (void)seasonal_model(12.0, 1, 1.0, -0.5); }, "damping");
}
