// expect: must have as many rows as the state has components
#include <sdekit/solvers/euler_maruyama.hpp>
int main() {
  using Vec3 = Eigen::Vector3d;
  auto problem = sdekit::make_sde([](const Vec3& x, double) -> Vec3 { return -x; },
                                  [](const Vec3&, double) { return Eigen::Vector2d::Ones().eval(); });
  Vec3 x = Vec3::Ones();
  sdekit::EulerMaruyama{}.do_step(problem, x, 0.0, 0.1, Eigen::Vector2d::Zero().eval());
}
