// Rolling-origin backtests on four real series — the Nile, yearly sunspots, weekly Mauna Loa CO2 with its gaps and
// the monthly El Niño sea-surface temperatures — scoring closed-form Gaussian forecasts (no simulation) by CRPS at
// 1, 2, 5 and 10 steps ahead over the last 50 origins, refitted at each: the random walk and AR(1) baselines, the
// continuous-time state-space models that suit each series, and statsmodels' AIC-selected ARIMA recorded once in
// examples/data/*_rolling_reference.csv (the scripts there give the commands).
//   forecast_backtest [--origins N] [data directory]
// By default the last 10 origins (seconds); --origins 50 is the protocol of the recorded ARIMA references (about a
// minute of CPU: the seasonal fits on 732 monthly values dominate).
#include <sdekit/forecast.hpp>
#include <sdekit/ensemble/progress_bar.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Backtests need the optimum to a few digits of the CRPS, not to 1e-10: a looser tolerance halves the evaluations.
sdekit::FitOptions backtest_fit() {
  sdekit::FitOptions o;
  o.relative_tolerance = 1e-6;
  return o;
}

using Fit = std::function<sdekit::StateSpaceFit(std::span<const double>, std::span<const double>)>;

struct Model {
  std::string name;
  sdekit::GaussianForecaster forecaster;
};

// The last `window` training values only (0: all): long weekly series stay fast, and the model adapts.
sdekit::GaussianForecaster windowed(sdekit::GaussianForecaster f, std::size_t window) {
  if (window == 0) return f;
  return [f = std::move(f), window](std::span<const double> t, std::span<const double> y, std::span<const double> h) {
    const std::size_t start = t.size() > window ? t.size() - window : 0;
    return f(t.subspan(start), y.subspan(start), h);
  };
}

// The auto_arima rows of a reference CSV (model,horizon,n,crps), by horizon 1, 2, 5, 10; empty if unreadable.
std::vector<double> arima_reference(const std::string& path) {
  std::ifstream in(path);
  std::vector<double> crps;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("auto_arima,", 0) != 0) continue;
    std::stringstream s(line.substr(11));
    std::string horizon, n, value;
    std::getline(s, horizon, ',');
    std::getline(s, n, ',');
    std::getline(s, value, ',');
    crps.push_back(std::stod(value));
  }
  return crps;
}

std::size_t origins = 10;  // the last this many origins; the references are for 50

void report(const std::string& title, std::span<const double> t, std::span<const double> y,
            const std::vector<Model>& models, const std::vector<double>& arima, std::size_t window) {
  std::printf("\n%s (%zu values%s; %zu origins, refit at each; mean CRPS, lower is better)\n", title.c_str(), y.size(),
              window ? (", training window " + std::to_string(window)).c_str() : "", origins);
  std::printf("  %-30s %9s %9s %9s %9s\n", "model", "h=1", "h=2", "h=5", "h=10");
  std::vector<double> random_walk;
  for (const Model& m : models) {
    sdekit::GaussianBacktestOptions options;
    options.origins = origins;
    options.progress = sdekit::ProgressBar(title + ": " + m.name);
    const sdekit::GaussianBacktest bt = sdekit::gaussian_backtest(t, y, windowed(m.forecaster, window), options);
    if (random_walk.empty()) random_walk = bt.mean_crps;
    std::printf("  %-30s", m.name.c_str());
    for (double c : bt.mean_crps) std::printf(" %9.4g", c);
    std::printf("   (%zu skipped)\n", bt.skipped.size());
  }
  if (arima.size() == 4 && origins == 50) {
    std::printf("  %-30s", "statsmodels auto-ARIMA (ref.)");
    for (double c : arima) std::printf(" %9.4g", c);
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = SDEKIT_EXAMPLE_DATA_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--origins" && i + 1 < argc) {
      origins = std::stoul(argv[++i]);
    } else {
      dir = a;
    }
  }
  if (origins < 1 || origins > 50) {
    std::fprintf(stderr, "forecast_backtest: --origins must be in 1 ... 50 (the shortest series has 100 values)\n");
    return 1;
  }
  if (origins != 50)
    std::printf("(the last %zu origins; --origins 50 for the protocol of the ARIMA references)\n", origins);
  try {
    const Model rw{"random walk", sdekit::random_walk_forecaster()};
    const Model ar1{"AR(1) (OU, exact)", sdekit::ar1_forecaster()};
    auto state_space = [](std::string name, Fit fit) {
      return Model{std::move(name), sdekit::state_space_forecaster(fit)};
    };

    // Nile: yearly flow with a level shift.
    const sdekit::TimeSeries nile = sdekit::read_time_series(dir + "/nile.csv");
    report("Nile", nile.times, nile.values[0],
           {rw, ar1,
            state_space("local level", [](auto t, auto y) { return sdekit::fit_local_level(t, y, backtest_fit()); }),
            state_space("level + OU",
                        [](auto t, auto y) { return sdekit::fit_local_level_plus_carma(t, y, 1, 0, backtest_fit()); })},
           arima_reference(dir + "/nile_rolling_reference.csv"), 0);

    // Sunspots: an 11-year oscillation; CARMA(2,1) oscillates (CARMA(3,2), better, takes minutes: see the docs).
    const sdekit::TimeSeries sun = sdekit::read_time_series(dir + "/sunspots.csv");
    report(
        "Sunspots", sun.times, sun.values[0],
        {rw, ar1,
         state_space("CARMA(2,1)", [](auto t, auto y) { return sdekit::fit_carma(t, y, 2, 1, false, backtest_fit()); }),
         // The square root stabilises the variance of counts (the peaks vary far more than the troughs); the
         // forecast of √y is scored on the original scale.
         Model{"CARMA(2,1) of sqrt(y)",
               sdekit::transformed_forecaster(sdekit::sqrt_transform(),
                                              sdekit::state_space_forecaster([](auto t, auto y) {
                                                return sdekit::fit_carma(t, y, 2, 1, false, backtest_fit());
                                              }))}},
        arima_reference(dir + "/sunspots_rolling_reference.csv"), 0);

    // CO2: weekly, dates as decimal years, 59 gaps kept as NaN; a yearly cycle around a wandering level.
    sdekit::CsvReadOptions keep;
    keep.missing = sdekit::MissingValues::keep;
    const sdekit::TimeSeries co2 = sdekit::read_time_series(dir + "/co2.csv", keep);
    report("CO2 (weekly)", co2.times, co2.values[0],
           {rw, ar1,
            state_space(
                "level + seasonal (1 y, 2 harm.)",
                [](auto t, auto y) { return sdekit::fit_local_level_plus_seasonal(t, y, 1.0, 2, backtest_fit()); })},
           arima_reference(dir + "/co2_rolling_reference.csv"), 520);

    // El Niño: monthly SST, a wide table of 12 month columns per year, stacked; a yearly cycle around a mean.
    const sdekit::TimeSeries sst = sdekit::stack_periods(sdekit::read_time_series(dir + "/elnino.csv"), "sst");
    const Fit ou_seasonal = [](std::span<const double> t, std::span<const double> y) {
      sdekit::ParameterSpec spec;
      spec.names = {"kappa", "sigma", "mu", "sigma_seasonal", "sigma_obs"};
      spec.initial = (Eigen::VectorXd(5) << 2.0, 2.0, 23.0, 0.2, 0.2).finished();
      spec.lower = (Eigen::VectorXd(5) << 1e-3, 1e-3, 0.0, 0.0, 0.0).finished();
      spec.upper = (Eigen::VectorXd(5) << 100, 100, 40, 10, 10).finished();
      return sdekit::fit_state_space(
          t, y,
          [](const Eigen::VectorXd& p) {
            return sdekit::sum_of_components(
                {sdekit::carma_model(Eigen::VectorXd::Constant(1, p[0]), Eigen::VectorXd(), p[1], p[2], p[4]),
                 sdekit::seasonal_model(1.0, 2, p[3])});
          },
          spec, backtest_fit());
    };
    report("El Nino SST (monthly)", sst.times, sst.values[0],
           {rw, ar1,
            state_space(
                "level + seasonal (1 y, 2 harm.)",
                [](auto t, auto y) { return sdekit::fit_local_level_plus_seasonal(t, y, 1.0, 2, backtest_fit()); }),
            state_space("OU + seasonal (1 y, 2 harm.)", ou_seasonal)},
           arima_reference(dir + "/elnino_rolling_reference.csv"), 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forecast_backtest: %s\n", e.what());
    return 1;
  }
  return 0;
}
