// expect: this stepper has no batched form for this problem
#include <sdekit/ensemble/simulate.hpp>
#include <sdekit/solvers/sriw1.hpp>
int main() {
  auto problem = sdekit::make_sde([](const sdekit::StateBlock& x, double, sdekit::StateBlock& out) { out = -x; },
                                  [](const sdekit::StateBlock&, double, sdekit::StateBlock& out) { out.setOnes(); });
  sdekit::EnsembleOptions options;
  sdekit::simulate_ensemble(sdekit::Sriw1{}, problem, Eigen::Vector2d(1.0, 0.0), options);
}
