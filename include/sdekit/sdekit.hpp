#pragma once
// The umbrella header: the whole public API of sdekit, steppers included.
#include <sdekit/errors.hpp>
#include <sdekit/state.hpp>
#include <sdekit/problem.hpp>
#include <sdekit/noise.hpp>
#include <sdekit/time_grid.hpp>
#include <sdekit/integrate.hpp>
#include <sdekit/odeint_adaptor.hpp>
#include <sdekit/statistics.hpp>
#include <sdekit/ensemble.hpp>
#include <sdekit/progress_bar.hpp>

#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>
#include <sdekit/solvers/stochastic_heun.hpp>

// Forecasting: reading series, fitting, forecasts and backtests.
#include <sdekit/timeseries_csv.hpp>
#include <sdekit/fit.hpp>
#include <sdekit/forecast.hpp>

// Discrete time and discrete state.
#include <sdekit/discrete_time.hpp>
#include <sdekit/linear_process.hpp>
#include <sdekit/nonlinear_process.hpp>
#include <sdekit/markov_chain.hpp>
#include <sdekit/reaction_network.hpp>

// Score-based diffusion models: forward processes, exact scores, reverse-time samplers.
#include <sdekit/diffusion_forward.hpp>
#include <sdekit/diffusion_scores.hpp>
#include <sdekit/diffusion_samplers.hpp>
#include <sdekit/ddpm.hpp>
#include <sdekit/sample_distance.hpp>
