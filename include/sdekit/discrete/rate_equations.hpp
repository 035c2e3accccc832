#pragma once
// The deterministic rate equations of a reaction network, dx/dt = Σ_j ν_j a⁺_j(x) (the drift of its chemical Langevin
// equation, propensities clamped at 0), solved by Boost.Odeint's adaptive Dormand–Prince 5(4) stepper. For a network
// whose propensities are linear in the counts this is the exact mean of the jump process; otherwise it is the
// macroscopic limit the SSA and CLE are compared with.
#include <sdekit/core/errors.hpp>
#include <sdekit/discrete/reaction_network.hpp>

#include <boost/numeric/odeint.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace sdekit {

/// Tolerances of the rate-equation solver.
struct RateEquationOptions {
  double rtol = 1e-8;          ///< relative error tolerance per step
  double atol = 1e-8;          ///< absolute error tolerance per step
  double initial_step = 1e-3;  ///< first trial step (the controller adapts it)
};

/// The rate equations' solution at the requested times.
struct RateEquationSolution {
  std::vector<double> times;            ///< the requested times
  std::vector<Eigen::VectorXd> states;  ///< the state (species order) at each time
  std::size_t evaluations = 0;          ///< right-hand-side evaluations
};

/// Solves the rate equations of `network` from its initial counts over `times` (increasing, the first is the start).
/// Throws std::invalid_argument naming the argument for empty or unordered times or bad tolerances.
template <class Network>
  requires is_reaction_network_v<Network> RateEquationSolution solve_rate_equations(
      const Network& network, const std::vector<double>& times, const RateEquationOptions& options = {}) {
    constexpr const char* where = "sdekit::solve_rate_equations";
    detail::require(!times.empty(), where, "times.size()", times.size(), "must be at least 1");
    for (std::size_t k = 0; k < times.size(); ++k) {
      detail::require(std::isfinite(times[k]), where, "times[" + std::to_string(k) + "]", times[k], "must be finite");
      if (k > 0)
        detail::require(times[k] > times[k - 1], where, "times[" + std::to_string(k) + "]", times[k],
                        "must be above times[" + std::to_string(k - 1) + "] = " + detail::to_text(times[k - 1]));
    }
    detail::require(std::isfinite(options.rtol) && options.rtol > 0, where, "rtol", options.rtol, "must be positive");
    detail::require(std::isfinite(options.atol) && options.atol > 0, where, "atol", options.atol, "must be positive");
    detail::require(std::isfinite(options.initial_step) && options.initial_step > 0, where, "initial_step",
                    options.initial_step, "must be positive");
    using State = typename Network::State;
    using Vector = std::vector<double>;
    constexpr int r = Network::reaction_count;
    const auto n = static_cast<std::size_t>(network.initial_counts().size());
    RateEquationSolution out;
    State x = network.initial_counts();
    auto system = [&](const Vector& y, Vector& dydt, double) {
      ++out.evaluations;
      for (std::size_t i = 0; i < n; ++i) x[static_cast<Eigen::Index>(i)] = y[i];
      const auto a = network.raw_propensities(x);
      for (std::size_t i = 0; i < n; ++i) {
        double d = 0;
        for (int j = 0; j < r; ++j)
          d += network.net_change()(static_cast<Eigen::Index>(i), j) * std::max(a[static_cast<std::size_t>(j)], 0.0);
        dydt[i] = d;
      }
    };
    Vector y(n);
    for (std::size_t i = 0; i < n; ++i) y[i] = network.initial_counts()[static_cast<Eigen::Index>(i)];
    auto record = [&](const Vector& state, double t) {
      out.times.push_back(t);
      Eigen::VectorXd v(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) v[static_cast<Eigen::Index>(i)] = state[i];
    out.states.push_back(std::move(v));
    };
    namespace odeint = boost::numeric::odeint;
    auto stepper = odeint::make_dense_output(options.atol, options.rtol, odeint::runge_kutta_dopri5<Vector>());
    if (times.size() == 1) record(y, times.front());
    else
      odeint::integrate_times(stepper, system, y, times.begin(), times.end(),
                              std::min(options.initial_step, times.back() - times.front()), record);
    return out;
  }

}  // namespace sdekit
