// Continuous-time state-space models on an annual series (the Nile by default): fit the continuous local level
// (Brownian level observed with noise) and CARMA models by their exact Kalman likelihood, then score them on the
// rolling-origin protocol of forecast_nile (the 50 origins before the last value — 1920 … 1969 for the Nile —
// refit at each, h = 1, 2, 5, 10, CRPS) next to the random walk, the OU process and statsmodels' local level and
// AIC-selected ARIMA (reference numbers computed once by examples/data/rolling_reference.py and read from
// examples/data/nile_rolling_reference.csv, or the file given).
//
//   forecast_state_space [path/to/series.csv [path/to/reference.csv]]
//   forecast_state_space examples/data/sunspots.csv examples/data/sunspots_rolling_reference.csv   (~3 minutes)
//
// Writes forecast_state_space.txt (the report as printed, quoted by docs/forecasting.md), the smoothed level with
// its 95% band to forecast_state_space.csv and (with gnuplot) forecast_state_space.png.
#include <sdekit/sdekit.hpp>

#include "gnuplot.hpp"

#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t origins = 50;
const std::vector<double> horizons{1, 2, 5, 10};

// A forecaster: training times and values in, Gaussian (mean, sd) per horizon out.
using Forecaster =
    std::function<std::vector<std::pair<double, double>>(const std::vector<double>&, const std::vector<double>&)>;

std::vector<std::pair<double, double>> state_space(const sdekit::StateSpaceFit& f) {
  const sdekit::StateSpaceForecast fc = sdekit::forecast_state_space(f.model, f.filter, horizons);
  std::vector<std::pair<double, double>> out;
  for (std::size_t i = 0; i < horizons.size(); ++i) out.emplace_back(fc.mean[i](0), fc.sd(i));
  return out;
}

// Mean CRPS per horizon over the `origins` origins before the last value.
std::vector<double> rolling_crps(const std::vector<double>& t, const std::vector<double>& y, const Forecaster& f) {
  const std::size_t first_window = y.size() - origins;
  std::vector<double> sum(horizons.size(), 0.0);
  std::vector<double> count(horizons.size(), 0.0);
  for (std::size_t o = first_window - 1; o < first_window - 1 + origins; ++o) {
    const std::vector<double> tt(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(o + 1));
    const std::vector<double> yy(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(o + 1));
    const auto forecast = f(tt, yy);
    for (std::size_t i = 0; i < horizons.size(); ++i) {
      const auto target = o + static_cast<std::size_t>(horizons[i]);
      if (target >= y.size()) continue;
      sum[i] += sdekit::crps_normal(forecast[i].first, forecast[i].second, y[target]);
      count[i] += 1;
    }
  }
  for (std::size_t i = 0; i < horizons.size(); ++i) sum[i] /= count[i];
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(SDEKIT_EXAMPLE_DATA_DIR) + "/nile.csv";
  const std::string reference_path =
      argc > 2 ? argv[2] : std::string(SDEKIT_EXAMPLE_DATA_DIR) + "/nile_rolling_reference.csv";
  sdekit::TimeSeries series;
  try {
    series = sdekit::read_time_series(path);
    if (series.size() < origins + 20) throw std::runtime_error(path + ": fewer than 70 values");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forecast_state_space: %s\n", e.what());
    return 1;
  }
  const std::vector<double>& t = series.times;
  const std::vector<double>& y = series.values[0];
  std::FILE* report = std::fopen("forecast_state_space.txt", "w");
  if (!report) {
    std::fprintf(stderr, "forecast_state_space: cannot write forecast_state_space.txt\n");
    return 1;
  }
  auto print = [&](const char* format, auto... args) {
    std::printf(format, args...);
    std::fprintf(report, format, args...);
  };

  //[ local_level
  // The continuous local level: dμ = σ_level dW, y(t_k) = μ(t_k) + ε_k, fitted by its exact (diffuse) Kalman
  // likelihood; then a Gaussian forecast 1 and 10 years after the last observation, and its CRPS if the next value
  // repeated the last.
  const sdekit::StateSpaceFit fit = sdekit::fit_local_level(t, y);
  for (const std::string& warning : fit.fit.warnings) std::printf("warning: %s\n", warning.c_str());
  const std::vector<double> ahead{1.0, 10.0};
  const sdekit::StateSpaceForecast forecast = sdekit::forecast_state_space(fit.model, fit.filter, ahead);
  const double crps = sdekit::crps_normal(forecast.mean[0](0), forecast.sd(0), y.back());
  //]
  print("Continuous local level on %s, column %s (%zu values): logL %.4f, AIC %.2f, BIC %.2f\n",
        path.substr(path.find_last_of('/') + 1).c_str(), series.names[0].c_str(), y.size(), fit.fit.log_likelihood,
        fit.fit.aic, fit.fit.bic);
  for (std::size_t i = 0; i < fit.fit.names.size(); ++i)
    print("    %-11s = %8.2f  +- %.2f (s.e.)\n", fit.fit.names[i].c_str(),
          fit.fit.parameters[static_cast<Eigen::Index>(i)], fit.fit.standard_errors[static_cast<Eigen::Index>(i)]);
  print("  forecast %g: %.1f +- %.1f (sd), %g: %.1f +- %.1f; CRPS if the next value repeated the last: %.2f\n",
        t.back() + 1, forecast.mean[0](0), forecast.sd(0), t.back() + 10, forecast.mean[1](0), forecast.sd(1), crps);
  {
    // The level behind the noise, given all 100 years (Rauch–Tung–Striebel): the 1898 drop shows as a step.
    const sdekit::SmoothedStates level = sdekit::rts_smoother(fit.filter);
    std::ofstream csv("forecast_state_space.csv");
    csv << "year,volume,level,level_lower95,level_upper95\n";
    for (std::size_t k = 0; k < t.size(); ++k) {
      const double sd = std::sqrt(level.covariance[k](0, 0));
      csv << t[k] << ',' << y[k] << ',' << level.mean[k](0) << ',' << level.mean[k](0) - 1.96 * sd << ','
          << level.mean[k](0) + 1.96 * sd << '\n';
    }
  }
  sdekit_examples::draw_with_gnuplot(
      "forecast_state_space.gp", "forecast_state_space.png",
      "set datafile separator ','\nset key bottom left\nset xlabel 'year'\nset ylabel 'annual flow (10^8 m^3)'\n"
      "set title 'Nile: smoothed level of the continuous local level model, 95% band'\n"
      "plot 'forecast_state_space.csv' skip 1 using 1:4:5 with filledcurves lc rgb '#c6dbef' title '95%', \\\n"
      "     '' skip 1 using 1:3 with lines lw 2 lc rgb '#08519c' title 'smoothed level', \\\n"
      "     '' skip 1 using 1:2 with linespoints pt 7 ps 0.5 lc rgb 'black' title 'observed'\n",
      "1000,500");
  // Two richer models on the whole series. Warnings go to the terminal in full; the report names the parameters
  // they concern (their text holds shortest round-trip numbers, too fragile to quote in the docs).
  auto summary = [&](const sdekit::StateSpaceFit& f) {
    print("%s: logL %.4f, AIC %.2f\n", f.fit.model.c_str(), f.fit.log_likelihood, f.fit.aic);
    for (std::size_t i = 0; i < f.fit.names.size(); ++i)
      print("    %-11s = %8.4g  +- %.3g (s.e.)\n", f.fit.names[i].c_str(),
            f.fit.parameters[static_cast<Eigen::Index>(i)], f.fit.standard_errors[static_cast<Eigen::Index>(i)]);
    for (const std::string& warning : f.fit.warnings) {
      std::printf("    warning: %s\n", warning.c_str());
      std::fprintf(report, "    warning about %s\n", warning.substr(0, warning.find(' ')).c_str());
    }
  };
  //[ diagnostics
  // Are the one-step innovations white? Ljung–Box over 10 lags, 2 degrees of freedom spent on the fit.
  const sdekit::LjungBox white = sdekit::ljung_box(fit.filter.standardised_innovations, 10, 2);
  // Which CARMA(p, q), p ≤ 3, q < p, has the lowest AIC?
  const sdekit::OrderSelection orders = sdekit::select_carma_order(t, y, 3);
  //]
  print("  Ljung-Box of its innovations (10 lags, 8 df): Q = %.2f, p = %.3f\n", white.statistic, white.p_value);
  print("AIC order selection over CARMA(p <= 3, q < p):");
  for (const auto& c : orders.candidates) print(" (%d,%d) %.2f", c.p, c.q, c.aic);
  print("\n");
  summary(sdekit::fit_local_level_plus_carma(t, y, 1, 0));
  summary(orders.best);

  const std::vector<std::pair<std::string, Forecaster>> models{
      {"random walk",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         const sdekit::Forecast f = sdekit::forecast_random_walk(tt, yy, horizons);
         std::vector<std::pair<double, double>> out;
         for (const auto& p : f.points) out.emplace_back(p.mean, p.sd);
         return out;
       }},
      {"OU (sdekit)",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         const sdekit::Forecast f =
             sdekit::forecast_closed_form(sdekit::fit_ornstein_uhlenbeck(tt, yy), tt.back(), yy.back(), horizons);
         std::vector<std::pair<double, double>> out;
         for (const auto& p : f.points) out.emplace_back(p.mean, p.sd);
         return out;
       }},
      {"local level (sdekit)",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         return state_space(sdekit::fit_local_level(tt, yy));
       }},
      {"trend, OU slope (sdekit)",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         return state_space(sdekit::fit_local_linear_trend(tt, yy, true));
       }},
      {"level + OU (sdekit)",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         return state_space(sdekit::fit_local_level_plus_carma(tt, yy, 1, 0));
       }},
      {"CARMA(1,0)+noise (sdekit)",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         return state_space(sdekit::fit_carma(tt, yy, 1, 0, true));
       }},
      {"CARMA(3,2) (sdekit)",
       [](const std::vector<double>& tt, const std::vector<double>& yy) {
         return state_space(sdekit::fit_carma(tt, yy, 3, 2));
       }},
      {"CARMA(2,1) (sdekit)", [](const std::vector<double>& tt, const std::vector<double>& yy) {
         return state_space(sdekit::fit_carma(tt, yy, 2, 1));
       }}};

  print("\nRolling-origin CRPS (50 origins %g-%g, refit at each; lower is better):\n", t[y.size() - origins - 1],
        t[y.size() - 2]);
  print("  %-28s %8s %8s %8s %8s\n", "model", "h=1", "h=2", "h=5", "h=10");
  for (const auto& [name, forecaster] : models) {
    const std::vector<double> c = rolling_crps(t, y, forecaster);
    print("  %-28s %8.2f %8.2f %8.2f %8.2f\n", name.c_str(), c[0], c[1], c[2], c[3]);
  }
  // statsmodels' numbers on the same protocol: model,horizon,n,crps rows after a comment line.
  std::ifstream reference(reference_path);
  std::map<std::string, std::map<int, double>> table;
  for (std::string line; std::getline(reference, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("model,", 0) == 0) continue;
    std::stringstream row(line);
    std::string name, h, n, value;
    std::getline(row, name, ',');
    std::getline(row, h, ',');
    std::getline(row, n, ',');
    std::getline(row, value, ',');
    table[name][std::stoi(h)] = std::stod(value);
  }
  for (const auto& [name, row] : table)
    print("  %-28s %8.2f %8.2f %8.2f %8.2f\n", ("statsmodels " + name).c_str(), row.at(1), row.at(2), row.at(5),
          row.at(10));
  std::fclose(report);
  return 0;
}
