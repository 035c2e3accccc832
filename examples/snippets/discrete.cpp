// The compiled snippets of docs/discrete.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"

using sdekit_snippets::check;

int main() {
  {
    //[ linear
    const auto ar = sdekit::make_linear_process(0.8, 1.0, 0.5);  // x_n = 0.8 x_{n-1} + 1 + 0.5 z_n
    const double x0 = -3.0;
    sdekit::EnsembleOptions options;
    options.particles = 20000;
    options.t1 = 40;
    options.dt = 1;
    options.save_times = {1, 2, 5, 10, 40};
    const auto result = sdekit::simulate_discrete_process(ar, x0, options);
    //]
    // Five standard errors of the mean at step 40.
    const double tolerance = 5 * std::sqrt(ar.variance_at(40) / 20000);
    check(std::abs(result.statistics[4].mean[0] - ar.mean_at(40, x0)) < tolerance, "AR(1) mean at step 40");
  }
  {
    const double sigma = 0.6;
    //[ nonlinear
    const auto p = sdekit::make_nonlinear_process([](double x) { return std::cos(x); }, sigma);
    //]
    sdekit::EnsembleOptions options;
    options.particles = 20000;
    options.t1 = 1;
    options.dt = 1;
    const auto result = sdekit::simulate_discrete_process(p, 0.4, options);
    const double tolerance = 5 * sigma / std::sqrt(20000.0);
    check(std::abs(result.statistics[0].mean[0] - std::cos(0.4)) < tolerance, "nonlinear mean at step 1");
  }
  {
    //[ markov_chain
    Eigen::MatrixXd p(3, 3);
    p << 0.5, 0.3, 0.2,  //
        0.1, 0.6, 0.3,   //
        0.4, 0.1, 0.5;
    const sdekit::MarkovChain chain(p);
    const Eigen::MatrixXd p3 = chain.power(3);  // P³ by repeated squaring
    sdekit::EnsembleOptions options;
    options.particles = 20000;
    options.t1 = 7;
    options.dt = 1;
    options.save_times = {1, 3, 7};
    const auto result = sdekit::simulate_markov_chain(chain, 0.0, options);       // every path starts in state 0
    const Eigen::VectorXd frequencies = sdekit::state_frequencies(result, 2, 3);  // at step 7
    const Eigen::VectorXd exact = chain.distribution_after(Eigen::Vector3d(1, 0, 0), 7);
    //]
    check((p3 - p * p * p).cwiseAbs().maxCoeff() < 1e-15, "P^3");
    // A binomial standard error is at most 0.5 / sqrt(20000) = 0.0035.
    check((frequencies - exact).cwiseAbs().maxCoeff() < 0.02, "state frequencies at step 7");
  }
  {
    //[ run_control
    // Prey birth, predation, predator death: once the predators die out the prey grow without bound.
    const auto lv = sdekit::make_reaction_network(
        {"prey", "predator"}, {50.0, 50.0}, sdekit::reaction("birth", "prey -> 2 prey", sdekit::mass_action(1.0)),
        sdekit::reaction("predation", "prey + predator -> 2 predator", sdekit::mass_action(0.01)),
        sdekit::reaction("death", "predator -> 0", sdekit::mass_action(1.0)));
    sdekit::JumpOptions options;  // observed at t1 only (no observe_dt)
    options.particles = 100;
    options.t1 = 30;
    // Stop a run when the predators are extinct; cut any run at 10^6 events or 10 s of wall time.
    const auto control = sdekit::stop_when([](const auto& x) { return x[1] == 0; }, 1000000, 10.0);
    const auto result = sdekit::simulate_ssa(lv, options, control);
    const std::size_t extinct = result.count(sdekit::RunOutcome::stopped);         // predators died out before t1
    const std::size_t cut = result.count(sdekit::RunOutcome::event_limit);         // hit the event cap
    const sdekit::SurvivalCurve km = sdekit::first_passage_survival(result.ends);  // P(predators alive at t)
    const double alive_at_20 = km.at(20.0);
    //]
    check(extinct + cut + result.count(sdekit::RunOutcome::completed) == 100, "every run ended");
    check(alive_at_20 < 1.0 && alive_at_20 > 0.0, "some predator extinctions by t = 20");
    //[ initial_counts
    const auto few = lv.with_initial_counts({10.0, 5.0});  // the same reactions from other counts
    //]
    check(few.initial_counts()[0] == 10.0, "with_initial_counts");
    //[ rate_equations
    const auto ode = sdekit::solve_rate_equations(lv, {0.0, 1.0, 2.0});  // Boost.Odeint dopri5, rtol 1e-8
    const double prey_at_2 = ode.states[2][0];
    //]
    check(prey_at_2 > 0.0, "rate equations");
    //[ tau_diagnostics
    sdekit::TauLeapingDiagnostics diagnostics;
    options.t1 = 5;
    (void)sdekit::simulate_tau_leaping(lv, options, {}, &diagnostics);
    // diagnostics.leaps, .rejected_leaps, .exact_steps: how often tau-leaping really leapt
    //]
    check(diagnostics.leaps + diagnostics.exact_steps > 0, "tau-leaping diagnostics");
  }
  return sdekit_snippets::failures;
}
