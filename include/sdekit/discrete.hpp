#pragma once
// Module facade: discrete-time processes, Markov chains and reaction networks.
#include <sdekit/discrete/discrete_time.hpp>
#include <sdekit/discrete/linear_process.hpp>
#include <sdekit/discrete/nonlinear_process.hpp>
#include <sdekit/discrete/markov_chain.hpp>
#include <sdekit/discrete/reaction_network.hpp>
#include <sdekit/discrete/rate_equations.hpp>
