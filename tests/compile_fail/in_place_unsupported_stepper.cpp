// expect: in-place functors a\(x, t, out\) and b\(x, t, out\) are taken by
#include <sdekit/solvers/sriw1.hpp>
int main() {
  using V = Eigen::VectorXd;
  auto problem =
      sdekit::make_sde([](const V& x, double, V& out) { out = -x; }, [](const V& x, double, V& out) { out = x; });
  V x = V::Ones(3);
  sdekit::TimeIntegralIncrement<V> inc;
  sdekit::Sriw1{}.do_step(problem, x, 0.0, 0.1, inc);
}
