// expect: this stepper integrates It.* SDEs only
#include <sdekit/solvers/euler_maruyama.hpp>
int main() {
  auto problem =
      sdekit::make_sde([](double x, double) { return -x; }, [](double x, double) { return x; }, sdekit::stratonovich);
  double x = 1.0;
  sdekit::EulerMaruyama{}.do_step(problem, x, 0.0, 0.1, 0.1);
}
