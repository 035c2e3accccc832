// expect: this stepper assumes additive noise
#include <sdekit/solvers/sra1.hpp>
int main() {
  auto problem = sdekit::make_sde([](double x, double) { return -x; }, [](double x, double) { return x; });
  double x = 1.0;
  sdekit::TimeIntegralIncrement<double> inc;
  sdekit::Sra1{}.do_step(problem, x, 0.0, 0.1, inc);
}
