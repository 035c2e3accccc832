// expect: for a scalar state the diffusion b\(x, t\) must return a scalar
#include <sdekit/solvers/euler_maruyama.hpp>
int main() {
  auto problem = sdekit::make_sde([](double x, double) { return -x; },
                                  [](double, double) { return Eigen::Vector2d::Ones().eval(); });
  double x = 1.0;
  sdekit::EulerMaruyama{}.do_step(problem, x, 0.0, 0.1, 0.1);
}
