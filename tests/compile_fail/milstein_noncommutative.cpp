// expect: this stepper needs commutative noise
#include <sdekit/solvers/milstein.hpp>
int main() {
  using Vec2 = Eigen::Vector2d;
  auto problem = sdekit::make_sde([](const Vec2& x, double) -> Vec2 { return -x; },
                                  [](const Vec2& x, double) {
                                    Eigen::Matrix2d b;
                                    b << x[1], 0, 0, x[0];
                                    return b;
                                  });
  Vec2 x = Vec2::Ones();
  sdekit::Milstein{}.do_step(problem, x, 0.0, 0.1, Vec2::Zero().eval());
}
