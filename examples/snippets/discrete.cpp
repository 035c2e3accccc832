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
  return sdekit_snippets::failures;
}
