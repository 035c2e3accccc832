#pragma once
// Module facade: particle ensembles, their options and results, statistics and progress display, runs that always
// end (limits, stop predicates, boundaries) and first-passage survival curves.
#include <sdekit/ensemble/statistics.hpp>
#include <sdekit/ensemble/distribution.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/particles.hpp>
#include <sdekit/ensemble/result.hpp>
#include <sdekit/ensemble/partial_statistics.hpp>
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/ensemble/run_control.hpp>
#include <sdekit/ensemble/boundaries.hpp>
#include <sdekit/ensemble/simulate_controlled.hpp>
#include <sdekit/ensemble/simulate_adaptive.hpp>
#include <sdekit/ensemble/survival.hpp>
#include <sdekit/ensemble/progress_bar.hpp>
#include <sdekit/ensemble/sample_distance.hpp>
