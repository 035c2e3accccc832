#pragma once
// Module facade: problems, states, noise kinds and increments, noise sources, the stepper concept, the Newton solves
// of implicit schemes, time grids, integrate and the odeint adaptor, the virtual Brownian tree and adaptive
// integration on it.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/core/increment.hpp>
#include <sdekit/core/stepper.hpp>
#include <sdekit/core/step_failed.hpp>
#include <sdekit/core/drift_jacobian.hpp>
#include <sdekit/core/newton.hpp>
#include <sdekit/core/noise.hpp>
#include <sdekit/core/time_grid.hpp>
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/odeint_adaptor.hpp>
#include <sdekit/core/brownian_tree.hpp>
#include <sdekit/core/adaptive.hpp>
