#pragma once
// The umbrella header: every module facade and every stepper. The forecasting functions are compiled into
// sdekit::forecast; a program that calls them links that target too.
#include <sdekit/version.hpp>
#include <sdekit/core.hpp>
#include <sdekit/solvers.hpp>
#include <sdekit/ensemble.hpp>
#include <sdekit/discrete.hpp>
#include <sdekit/diffusion.hpp>
#include <sdekit/forecast.hpp>
