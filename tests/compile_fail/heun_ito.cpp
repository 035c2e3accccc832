// expect: this stepper converges to the Stratonovich solution
#include <sdekit/solvers/stochastic_heun.hpp>
int main() {
  auto problem = sdekit::make_sde([](double x, double) { return -x; }, [](double x, double) { return x; });
  double x = 1.0;
  sdekit::StochasticHeun{}.do_step(problem, x, 0.0, 0.1, 0.1);
}
