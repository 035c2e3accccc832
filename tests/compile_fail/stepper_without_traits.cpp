// expect: a stepper declares static constexpr strong_order<P, X>\(\)
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/noise.hpp>
// A scheme with do_step but none of the traits of <sdekit/core/stepper.hpp>.
struct Bare {
  template <class P, class X, class Inc>
  void do_step(const P&, X&, double, double, const Inc&) const {}
};
int main() {
  auto problem = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
  double x = 1.0;
  Bare stepper;
  sdekit::integrate(stepper, problem, x, 0.0, 1.0, 0.1, sdekit::GaussianNoise(1));
}
