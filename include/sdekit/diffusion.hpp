#pragma once
// Module facade: score-based diffusion models — forward SDEs, exact scores, reverse-time samplers, DDPM.
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/ddpm.hpp>
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/schedules.hpp>
#include <sdekit/diffusion/dpm_solver.hpp>
#include <sdekit/diffusion/euler_ancestral.hpp>
#include <sdekit/diffusion/unipc.hpp>
#include <sdekit/diffusion/likelihood.hpp>
