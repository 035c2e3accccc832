#pragma once
// Module facade: time-series input, model fitting, forecasts and backtests. Its compiled part is the separate
// library sdekit::forecast (it adds NLopt); link that target to use these functions.
#include <sdekit/forecast/timeseries_csv.hpp>
#include <sdekit/forecast/fit.hpp>
#include <sdekit/forecast/forecast.hpp>
#include <sdekit/forecast/state_space.hpp>
#include <sdekit/forecast/state_space_fit.hpp>
#include <sdekit/forecast/diagnostics.hpp>
#include <sdekit/forecast/nonlinear_state_space.hpp>
#include <sdekit/forecast/transform.hpp>
#include <sdekit/forecast/backtest.hpp>
