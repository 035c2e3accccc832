// expect: analytic diffusion derivative for scalar and diagonal noise only
// Milstein now takes general non-commutative noise (with Lévy areas), but an analytic ∂b/∂x is a tensor there: the
// problem must use the derivative-free form.
#include <sdekit/solvers/milstein.hpp>
int main() {
  using Vec2 = Eigen::Vector2d;
  auto problem = sdekit::make_sde([](const Vec2& x, double) -> Vec2 { return -x; },
                                  [](const Vec2& x, double) {
                                    Eigen::Matrix2d b;
                                    b << x[1], 0, 0, x[0];
                                    return b;
                                  })
                     .with_diffusion_derivative([](const Vec2&, double) { return Eigen::Matrix2d::Identity().eval(); });
  Vec2 x = Vec2::Ones();
  sdekit::LevyAreaIncrement<Vec2> inc = sdekit::make_zero_increment<decltype(inc)>(2);
  sdekit::Milstein{}.do_step(problem, x, 0.0, 0.1, inc);
}
