// expect: the drift must be callable as a\(x, t\)
#include <sdekit/solvers/euler_maruyama.hpp>
int main() {
  auto problem = sdekit::make_sde([](double x) { return -x; }, [](double, double) { return 1.0; });
  double x = 1.0;
  sdekit::EulerMaruyama{}.do_step(problem, x, 0.0, 0.1, 0.1);
}
