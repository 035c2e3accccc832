#pragma once
// Every stepping scheme of solvers/; each is also usable alone as <sdekit/solvers/NAME.hpp>.
#include <sdekit/solvers/dri1.hpp>
#include <sdekit/solvers/drift_implicit_milstein.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>
#include <sdekit/solvers/imex_euler_maruyama.hpp>
#include <sdekit/solvers/milstein.hpp>
#include <sdekit/solvers/stochastic_heun.hpp>
#include <sdekit/solvers/sriw1.hpp>
#include <sdekit/solvers/sra1.hpp>
#include <sdekit/solvers/sra3.hpp>
#include <sdekit/solvers/split_step_backward_euler.hpp>
#include <sdekit/solvers/tamed_euler_maruyama.hpp>
#include <sdekit/solvers/theta_method.hpp>
