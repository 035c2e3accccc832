// expect: this stepper is written for scalar and diagonal noise
#include <sdekit/solvers/sriw1.hpp>
int main() {
  using Vec2 = Eigen::Vector2d;
  auto problem = sdekit::make_sde([](const Vec2& x, double) -> Vec2 { return -x; },
                                  [](const Vec2& x, double) -> Eigen::Matrix2d { return x.asDiagonal(); });
  Vec2 x(1.0, 2.0);
  sdekit::TimeIntegralIncrement<Vec2> inc;
  sdekit::Sriw1{}.do_step(problem, x, 0.0, 0.1, inc);
}
