// Forecasting the Nile: read the annual flow at Aswan (1871–1970), fit an Ornstein–Uhlenbeck process and a
// geometric Brownian motion by exact maximum likelihood, pick one by AIC, forecast 20 years with prediction
// bands (including parameter uncertainty), and backtest both models against the naive random walk.
//
//   forecast_nile [path/to/nile.csv]
//
// Writes forecast_nile.csv, forecast_nile_backtest.csv, forecast_nile_fits.txt and forecast_nile_backtest.txt (the
// fit and backtest reports as printed, quoted by docs/forecasting.md) and (with gnuplot) the fan chart
// forecast_nile.png to the current directory.
#include <sdekit/sdekit.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

void print_fit(std::FILE* out, const sdekit::FitResult& fit) {
  std::fprintf(out, "  %-26s logL %9.2f  AIC %8.2f  BIC %8.2f  (%s)\n", fit.model.c_str(), fit.log_likelihood, fit.aic,
               fit.bic, fit.method.c_str());
  for (std::size_t i = 0; i < fit.names.size(); ++i)
    std::fprintf(out, "      %-6s = %10.4g  ± %.3g (s.e.)\n", fit.names[i].c_str(),
                 fit.parameters[static_cast<Eigen::Index>(i)], fit.standard_errors[static_cast<Eigen::Index>(i)]);
}

void print_backtest(std::FILE* out, const char* name, const sdekit::BacktestResult& r) {
  std::fprintf(out, "\nRolling-origin backtest, %s (%zu origins, refit at each; levels 80%% and 95%%):\n", name,
               r.origins);
  std::fprintf(out, "  %3s %4s  %6s %6s  %8s %8s  %8s %8s  %6s %6s\n", "h", "n", "cov80", "cov95", "CRPS", "naive",
               "MAE", "naive", "rw80", "rw95");
  for (std::size_t k = 0; k < r.rows.size(); ++k) {
    const sdekit::BacktestRow& row = r.rows[k];
    if (row.horizon != 1 && row.horizon != 2 && row.horizon != 5 && row.horizon != 10) continue;
    std::fprintf(out, "  %3zu %4zu  %6.2f %6.2f  %8.1f %8.1f  %8.1f %8.1f  %6.2f %6.2f\n", row.horizon, row.forecasts,
                 r.coverage(k, 0.8), r.coverage(k, 0.95), row.crps, row.naive_crps, row.mae, row.naive_mae,
                 r.naive_coverage(k, 0.8), r.naive_coverage(k, 0.95));
  }
}

}  // namespace

int main(int argc, char** argv) {
  //[ read
  const std::string path = argc > 1 ? argv[1] : std::string(SDEKIT_EXAMPLE_DATA_DIR) + "/nile.csv";
  sdekit::TimeSeries nile;
  try {
    nile = sdekit::read_time_series(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forecast_nile: %s\n", e.what());
    return 1;
  }
  //]
  const std::vector<double>& t = nile.times;
  const std::vector<double>& x = nile.values[0];
  std::printf("Nile flow at Aswan: %zu years %.0f-%.0f, column \"%s\" (%s)\n\n", nile.size(), t.front(), t.back(),
              nile.names[0].c_str(), path.c_str());

  // Fit both models by exact maximum likelihood and let AIC choose.
  const sdekit::FitResult ou = sdekit::fit_ornstein_uhlenbeck(t, x);
  const sdekit::FitResult gbm = sdekit::fit_geometric_brownian_motion(t, x);
  const sdekit::FitResult& best = ou.aic <= gbm.aic ? ou : gbm;
  // The report goes to the terminal and to a file that docs/forecasting.md quotes (CI checks they agree).
  std::FILE* fits = std::fopen("forecast_nile_fits.txt", "w");
  for (std::FILE* out : {stdout, fits}) {
    std::fprintf(out, "Fits (exact maximum likelihood):\n");
    print_fit(out, ou);
    print_fit(out, gbm);
    std::fprintf(out, "  AIC picks: %s (AIC difference %.1f)\n", best.model.c_str(), std::abs(ou.aic - gbm.aic));
  }
  std::fclose(fits);
  std::printf("\n");

  // Forecast 20 years ahead from the last observation, with the parameters' estimation uncertainty.
  std::vector<double> horizons;
  for (int h = 1; h <= 20; ++h) horizons.push_back(h);
  //[ forecast
  sdekit::ForecastOptions options;
  options.particles = 4000;
  options.seed = 1970;
  options.parameter_uncertainty = true;
  const sdekit::Forecast f = sdekit::forecast(best, t.back(), x.back(), horizons, options);
  //]
  std::printf("Forecast from %.0f (last value %.0f), %zu particles, parameter uncertainty included:\n", t.back(),
              x.back(), options.particles);
  if (f.failed > 0) std::printf("  (%zu particles stopped by a non-finite state and left out)\n", f.failed);
  std::printf("  %6s %8s %8s  %17s  %17s\n", "year", "mean", "median", "80% interval", "95% interval");
  for (std::size_t k = 0; k < f.points.size(); ++k) {
    if (k != 0 && k != 1 && k != 4 && k != 9 && k != 19) continue;
    const sdekit::ForecastPoint& p = f.points[k];
    const sdekit::Interval i80 = f.interval(k, 0.8), i95 = f.interval(k, 0.95);
    std::printf("  %6.0f %8.1f %8.1f  [%6.1f, %6.1f]  [%6.1f, %6.1f]\n", p.time, p.mean, p.median, i80.lower, i80.upper,
                i95.lower, i95.upper);
  }

  // Rolling-origin backtest: the first 50 years to fit, then every origin to 1969, up to 10 years ahead.
  sdekit::BacktestOptions backtest;
  backtest.first_origin = 50;
  backtest.horizon = 10;
  backtest.forecast.levels = {0.8, 0.95};
  backtest.forecast.particles = 1000;
  backtest.progress = sdekit::ProgressBar("backtest OU");
  const sdekit::BacktestResult bt_ou = sdekit::backtest_model(sdekit::ModelKind::ornstein_uhlenbeck, t, x, backtest);
  backtest.progress = sdekit::ProgressBar("backtest GBM");
  const sdekit::BacktestResult bt_gbm =
      sdekit::backtest_model(sdekit::ModelKind::geometric_brownian_motion, t, x, backtest);
  std::FILE* report = std::fopen("forecast_nile_backtest.txt", "w");
  for (std::FILE* out : {stdout, report}) {
    print_backtest(out, "Ornstein-Uhlenbeck", bt_ou);
    print_backtest(out, "geometric Brownian motion", bt_gbm);
    std::fprintf(out,
                 "  (naive = random walk N(last value, s^2 h) fitted to the same window; rw80/rw95 its coverage)\n");
  }
  std::fclose(report);

  // CSV: the forecast bands, and the backtest tables.
  {
    std::ofstream out("forecast_nile.csv");
    out << "year,mean,median,lo50,hi50,lo80,hi80,lo95,hi95\n";
    out << t.back() << ',' << x.back() << ',' << x.back() << ',' << x.back() << ',' << x.back() << ',' << x.back()
        << ',' << x.back() << ',' << x.back() << ',' << x.back() << '\n';
    for (std::size_t k = 0; k < f.points.size(); ++k) {
      const sdekit::ForecastPoint& p = f.points[k];
      out << p.time << ',' << p.mean << ',' << p.median;
      for (double level : {0.5, 0.8, 0.95}) {
        const sdekit::Interval band = f.interval(k, level);
        out << ',' << band.lower << ',' << band.upper;
      }
      out << '\n';
    }
    std::ofstream bt("forecast_nile_backtest.csv");
    bt << "model,horizon,forecasts,coverage80,coverage95,crps,naive_crps,mae,naive_mae,naive_coverage80,"
          "naive_coverage95\n";
    for (const auto* r : {&bt_ou, &bt_gbm})
      for (std::size_t k = 0; k < r->rows.size(); ++k) {
        const sdekit::BacktestRow& row = r->rows[k];
        bt << (r == &bt_ou ? "OU" : "GBM") << ',' << row.horizon << ',' << row.forecasts << ',' << r->coverage(k, 0.8)
           << ',' << r->coverage(k, 0.95) << ',' << row.crps << ',' << row.naive_crps << ',' << row.mae << ','
           << row.naive_mae << ',' << r->naive_coverage(k, 0.8) << ',' << r->naive_coverage(k, 0.95) << '\n';
      }
  }
  std::printf("\nWrote forecast_nile.csv and forecast_nile_backtest.csv\n");

  // The fan chart, if gnuplot is there.
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    std::printf("gnuplot not found: skipped forecast_nile.png\n");
    return 0;
  }
  {
    std::ofstream gp("forecast_nile.gp");
    gp << "set terminal pngcairo size 1000,500\nset output 'forecast_nile.png'\nset datafile separator ','\n"
       << "set key bottom left\nset xlabel 'year'\nset ylabel 'annual flow (10^8 m^3)'\n"
       << "set title 'Nile at Aswan: " << best.model << " forecast with 50/80/95% bands'\n"
       << "plot 'forecast_nile.csv' skip 1 using 1:8:9 with filledcurves lc rgb '#c6dbef' title '95%', \\\n"
       << "     '' skip 1 using 1:6:7 with filledcurves lc rgb '#9ecae1' title '80%', \\\n"
       << "     '' skip 1 using 1:4:5 with filledcurves lc rgb '#6baed6' title '50%', \\\n"
       << "     '' skip 1 using 1:3 with lines lw 2 lc rgb '#08519c' title 'median', \\\n"
       << "     '" << path << "' skip 1 using 1:2 with linespoints pt 7 ps 0.5 lc rgb 'black' title 'observed'\n";
  }
  if (std::system("gnuplot forecast_nile.gp") == 0) std::printf("Wrote forecast_nile.png (fan chart)\n");
  else std::printf("gnuplot failed: see forecast_nile.gp\n");
  return 0;
}
