#pragma once
// Module facade: problems, states, noise kinds and increments, noise sources, the stepper concept, time grids,
// integrate and the odeint adaptor, the virtual Brownian tree and adaptive integration on it.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/increment.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/odeint_adaptor.hpp>
#include <sdekit/core/brownian_tree.hpp>
#include <sdekit/core/adaptive.hpp>
