// Maximum-likelihood fits of linear state-space SDE models through the Kalman likelihood.
#include <sdekit/core/errors.hpp>
#include <sdekit/forecast/state_space_fit.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdekit {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

using detail::require;

void validate(std::span<const double> times, std::span<const double> values, const char* where) {
  require(times.size() == values.size(), where, "times.size()", times.size(),
          "must equal values.size() = " + std::to_string(values.size()));
  std::size_t observed = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    require(std::isfinite(times[i]), where, "times[" + std::to_string(i) + "]", times[i], "must be finite");
    require(!std::isinf(values[i]), where, "values[" + std::to_string(i) + "]", values[i],
            "must be finite or NaN (missing)");
    if (i > 0)
      require(times[i] > times[i - 1], where, "times[" + std::to_string(i) + "]", times[i],
              "must be greater than times[" + std::to_string(i - 1) + "] = " + detail::to_text(times[i - 1]));
    if (!std::isnan(values[i])) ++observed;
  }
  require(observed >= 3, where, "observed values", observed, "must be at least 3");
}

// Mean, variance and the mean squared increment per unit time of the observed values (for start values).
struct Moments {
  double mean = 0, variance = 0, increment_rate = 0, mean_step = 0;
};

Moments moments(std::span<const double> times, std::span<const double> values) {
  Moments m;
  std::vector<double> t, x;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isnan(values[i])) {
      t.push_back(times[i]);
      x.push_back(values[i]);
    }
  const double n = static_cast<double>(x.size());
  for (double v : x) m.mean += v / n;
  for (double v : x) m.variance += (v - m.mean) * (v - m.mean) / (n - 1);
  double squares = 0;
  for (std::size_t i = 1; i < x.size(); ++i) squares += (x[i] - x[i - 1]) * (x[i] - x[i - 1]);
  m.mean_step = (t.back() - t.front()) / (n - 1);
  m.increment_rate = squares / (t.back() - t.front());
  return m;
}

// Start values of a CARMA(p, q): AR roots −r, −2r, … and MA roots −r, −2r, … with r = 0.5 / mean step (time
// scales of a few steps), and the stationary variance of the output at σ = 1 (to scale σ to the data).
struct CarmaStart {
  Eigen::VectorXd ar, ma;
  double unit_variance = 1;
};

CarmaStart carma_start(int p, int q, double mean_step) {
  const double r = 0.5 / mean_step;
  auto coefficients = [&](int degree) {  // of Π (z + j r), j = 1 … degree, leading 1 dropped, highest power first
    Eigen::VectorXd c = Eigen::VectorXd::Zero(degree + 1);
    c[0] = 1.0;
    for (int j = 1; j <= degree; ++j)
      for (int i = j; i >= 1; --i) c[i] += j * r * c[i - 1];
    return Eigen::VectorXd(c.tail(degree));
  };
  CarmaStart out;
  out.ar = coefficients(p);
  out.ma.resize(q);  // b0 … b(q−1): coefficients of b(z) from the lowest power
  const Eigen::VectorXd c = coefficients(q);
  for (int j = 0; j < q; ++j) out.ma[j] = c[q - 1 - j];
  const LinearSdeModel unit = carma_model(out.ar, out.ma, 1.0, 0.0);
  out.unit_variance = (unit.C * solve_lyapunov(unit.A, unit.G * unit.G.transpose()) * unit.C.transpose())(0, 0);
  return out;
}

}  // namespace

StateSpaceFit fit_state_space(std::span<const double> times, std::span<const double> values,
                              const StateSpaceBuilder& builder, const ParameterSpec& spec, const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_state_space";
  validate(times, values, where);
  require(static_cast<bool>(builder), where, "builder", "empty", "must be callable");
  const std::function<double(const Eigen::VectorXd&)> objective = [&](const Eigen::VectorXd& theta) {
    try {
      return kalman_filter(builder(theta), times, values).log_likelihood;
    } catch (const std::invalid_argument&) {
      return -inf;  // θ outside the model (a non-stationary AR polynomial, a negative scale …)
    }
  };
  std::size_t observed = 0;
  for (double v : values) observed += std::isnan(v) ? 0 : 1;
  StateSpaceFit out;
  out.fit = detail::maximise_log_likelihood(objective, spec, observed, options, where);
  out.fit.kind = ModelKind::custom;
  out.fit.model = "linear state-space SDE";
  out.model = builder(out.fit.parameters);
  out.filter = kalman_filter(out.model, times, values);
  return out;
}

StateSpaceFit fit_state_space(std::span<const double> times, const Eigen::MatrixXd& observations,
                              const StateSpaceBuilder& builder, const ParameterSpec& spec, const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_state_space";
  require(static_cast<std::size_t>(observations.rows()) == times.size(), where, "observations.rows()",
          observations.rows(), "must equal times.size() = " + std::to_string(times.size()));
  require(observations.cols() >= 1, where, "observations.cols()", observations.cols(), "must be at least 1");
  std::size_t observed = 0;
  for (Eigen::Index i = 0; i < observations.size(); ++i) observed += std::isnan(observations.data()[i]) ? 0 : 1;
  require(observed >= 3, where, "observed values", observed, "must be at least 3");
  require(static_cast<bool>(builder), where, "builder", "empty", "must be callable");
  (void)kalman_filter(builder(spec.initial), times, observations);  // bad times or shapes throw here, named
  const std::function<double(const Eigen::VectorXd&)> objective = [&](const Eigen::VectorXd& theta) {
    try {
      return kalman_filter(builder(theta), times, observations).log_likelihood;
    } catch (const std::invalid_argument&) {
      return -inf;
    }
  };
  StateSpaceFit out;
  out.fit = detail::maximise_log_likelihood(objective, spec, observed, options, where);
  out.fit.kind = ModelKind::custom;
  out.fit.model = "linear state-space SDE";
  out.model = builder(out.fit.parameters);
  out.filter = kalman_filter(out.model, times, observations);
  return out;
}

StateSpaceFit fit_local_level_plus_seasonal(std::span<const double> times, std::span<const double> values,
                                            double period, int harmonics, const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_local_level_plus_seasonal";
  validate(times, values, where);
  (void)seasonal_model(period, harmonics, 0.0);  // period and harmonics checked here, named
  const Moments m = moments(times, values);
  const double s = std::sqrt(0.5 * m.increment_rate * m.mean_step);
  ParameterSpec spec;
  spec.names = {"sigma_level", "sigma_seasonal", "sigma_obs"};
  spec.initial = Eigen::Vector3d(s / std::sqrt(m.mean_step), 0.1 * s / std::sqrt(m.mean_step), s / std::sqrt(2.0));
  spec.lower = Eigen::Vector3d(0.0, 0.0, 0.0);
  spec.upper = Eigen::Vector3d(inf, inf, inf);
  StateSpaceFit out = fit_state_space(
      times, values,
      [period, harmonics](const Eigen::VectorXd& p) {
        return sum_of_components({local_level_model(p[0], p[2]), seasonal_model(period, harmonics, p[1])});
      },
      spec, options);
  out.fit.model = "local level + seasonal";
  return out;
}

StateSpaceFit fit_local_level(std::span<const double> times, std::span<const double> values,
                              const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_local_level";
  validate(times, values, where);
  const Moments m = moments(times, values);
  // Half the increments' variance to each source: the optimiser then starts inside, away from either bound.
  const double s = std::sqrt(0.5 * m.increment_rate * m.mean_step);
  ParameterSpec spec;
  spec.names = {"sigma_level", "sigma_obs"};
  spec.initial = Eigen::Vector2d(s / std::sqrt(m.mean_step), s / std::sqrt(2.0));
  spec.lower = Eigen::Vector2d(0.0, 0.0);
  spec.upper = Eigen::Vector2d(inf, inf);
  StateSpaceFit out = fit_state_space(
      times, values, [](const Eigen::VectorXd& p) { return local_level_model(p[0], p[1]); }, spec, options);
  out.fit.model = "local level";
  return out;
}

StateSpaceFit fit_local_linear_trend(std::span<const double> times, std::span<const double> values,
                                     bool mean_reverting_slope, const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_local_linear_trend";
  validate(times, values, where);
  const Moments m = moments(times, values);
  const double s = std::sqrt(0.5 * m.increment_rate * m.mean_step);
  const double sigma_level = s / std::sqrt(m.mean_step);
  const double sigma_slope = 0.1 * s / std::pow(m.mean_step, 1.5);
  const double sigma_obs = s / std::sqrt(2.0);
  ParameterSpec spec;
  StateSpaceBuilder builder;
  if (mean_reverting_slope) {
    // Slope memory of a few steps to start with.
    spec.names = {"sigma_level", "sigma_slope", "slope_rate", "sigma_obs"};
    spec.initial = Eigen::Vector4d(sigma_level, sigma_slope, 0.5 / m.mean_step, sigma_obs);
    spec.lower = Eigen::Vector4d::Zero();
    spec.upper = Eigen::Vector4d::Constant(inf);
    builder = [](const Eigen::VectorXd& p) { return local_linear_trend_model(p[0], p[1], p[2], p[3]); };
  } else {
    spec.names = {"sigma_level", "sigma_slope", "sigma_obs"};
    spec.initial = Eigen::Vector3d(sigma_level, sigma_slope, sigma_obs);
    spec.lower = Eigen::Vector3d::Zero();
    spec.upper = Eigen::Vector3d::Constant(inf);
    builder = [](const Eigen::VectorXd& p) { return local_linear_trend_model(p[0], p[1], 0.0, p[2]); };
  }
  StateSpaceFit out = fit_state_space(times, values, builder, spec, options);
  out.fit.model = mean_reverting_slope ? "local linear trend (OU slope)" : "local linear trend";
  return out;
}

StateSpaceFit fit_carma(std::span<const double> times, std::span<const double> values, int p, int q,
                        bool observation_noise, const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_carma";
  require(p >= 1 && p <= 4, where, "p", p, "must be 1, 2, 3 or 4");
  require(q >= 0 && q < p, where, "q", q, "must lie in [0, p) = [0, " + std::to_string(p) + ")");
  validate(times, values, where);
  const Moments m = moments(times, values);
  const CarmaStart start = carma_start(p, q, m.mean_step);
  const Eigen::VectorXd& ar0 = start.ar;
  const Eigen::VectorXd& ma0 = start.ma;
  const double unit_variance = start.unit_variance;
  const double share = observation_noise ? 0.8 : 1.0;
  const int k = p + q + 2 + (observation_noise ? 1 : 0);
  ParameterSpec spec;
  spec.initial.resize(k);
  spec.lower = Eigen::VectorXd::Constant(k, -inf);
  spec.upper = Eigen::VectorXd::Constant(k, inf);
  for (int i = 0; i < p; ++i) {
    spec.names.push_back("a" + std::to_string(i + 1));
    spec.initial[i] = ar0[i];
    // Every coefficient of a stable real polynomial is positive: as bounds, they keep the search out of most of
    // the non-stationary region (all of it for p ≤ 2), where the likelihood is −∞ and BOBYQA's models break.
    spec.lower[i] = 0.0;
  }
  for (int j = 0; j < q; ++j) {
    spec.names.push_back("b" + std::to_string(j));
    spec.initial[p + j] = ma0[j];
  }
  spec.names.push_back("sigma");
  spec.initial[p + q] = std::sqrt(share * m.variance / unit_variance);
  spec.lower[p + q] = 0.0;
  spec.names.push_back("mu");
  spec.initial[p + q + 1] = m.mean;
  if (observation_noise) {
    spec.names.push_back("sigma_obs");
    spec.initial[p + q + 2] = std::sqrt((1 - share) * m.variance);
    spec.lower[p + q + 2] = 0.0;
  }
  StateSpaceFit out = fit_state_space(
      times, values,
      [p, q, observation_noise](const Eigen::VectorXd& theta) {
        return carma_model(theta.head(p), theta.segment(p, q), theta[p + q], theta[p + q + 1],
                           observation_noise ? theta[p + q + 2] : 0.0);
      },
      spec, options);
  out.fit.model = "CARMA(" + std::to_string(p) + "," + std::to_string(q) + ")";
  return out;
}

StateSpaceFit fit_local_level_plus_carma(std::span<const double> times, std::span<const double> values, int p, int q,
                                         const FitOptions& options) {
  constexpr const char* where = "sdekit::fit_local_level_plus_carma";
  require(p >= 1 && p <= 4, where, "p", p, "must be 1, 2, 3 or 4");
  require(q >= 0 && q < p, where, "q", q, "must lie in [0, p) = [0, " + std::to_string(p) + ")");
  validate(times, values, where);
  const Moments m = moments(times, values);
  const CarmaStart start = carma_start(p, q, m.mean_step);
  // The increments' variance s² split between the three sources to start with.
  const double s = std::sqrt(0.5 * m.increment_rate * m.mean_step);
  const int k = 1 + p + q + 2;
  ParameterSpec spec;
  spec.initial.resize(k);
  spec.lower = Eigen::VectorXd::Constant(k, -inf);
  spec.upper = Eigen::VectorXd::Constant(k, inf);
  spec.names.push_back("sigma_level");
  spec.initial[0] = s / (3 * std::sqrt(m.mean_step));
  spec.lower[0] = 0.0;
  for (int i = 0; i < p; ++i) {
    spec.names.push_back("a" + std::to_string(i + 1));
    spec.initial[1 + i] = start.ar[i];
    spec.lower[1 + i] = 0.0;  // see fit_carma
  }
  for (int j = 0; j < q; ++j) {
    spec.names.push_back("b" + std::to_string(j));
    spec.initial[1 + p + j] = start.ma[j];
  }
  spec.names.push_back("sigma");
  spec.initial[1 + p + q] = std::sqrt(0.5 * s * s / start.unit_variance);
  spec.lower[1 + p + q] = 0.0;
  spec.names.push_back("sigma_obs");
  spec.initial[2 + p + q] = 0.5 * s;
  spec.lower[2 + p + q] = 0.0;
  StateSpaceFit out = fit_state_space(
      times, values,
      [p, q](const Eigen::VectorXd& theta) {
        return sum_of_components({local_level_model(theta[0], theta[2 + p + q]),
                                  carma_model(theta.segment(1, p), theta.segment(1 + p, q), theta[1 + p + q], 0.0)});
      },
      spec, options);
  out.fit.model = "local level + CARMA(" + std::to_string(p) + "," + std::to_string(q) + ")";
  return out;
}

OrderSelection select_carma_order(std::span<const double> times, std::span<const double> values, int max_p,
                                  bool observation_noise, const FitOptions& options) {
  require(max_p >= 1 && max_p <= 4, "sdekit::select_carma_order", "max_p", max_p, "must be 1, 2, 3 or 4");
  OrderSelection out;
  bool have = false;
  for (int p = 1; p <= max_p; ++p)
    for (int q = 0; q < p; ++q) {
      StateSpaceFit f = fit_carma(times, values, p, q, observation_noise, options);
      out.candidates.push_back({p, q, f.fit.log_likelihood, f.fit.aic, f.fit.bic, f.fit.warnings.size()});
      if (std::isfinite(f.fit.aic) && (!have || f.fit.aic < out.best.fit.aic)) {
        out.best = std::move(f);
        have = true;
      }
    }
  return out;
}

}  // namespace sdekit
