// expect: the noise source must be callable as noise\(step, t, dt, inc\)
#include <sdekit/core/integrate.hpp>
#include <sdekit/core/stepper.hpp>
// A stepper that needs I_(1,0), given a user noise source that fills only a double ΔW.
struct NeedsTimeIntegral {
  template <class P, class X>
  static constexpr double strong_order() {
    return 1.5;
  }
  template <class P, class X>
  static constexpr double weak_order() {
    return 2.0;
  }
  template <class P, class X>
  static constexpr sdekit::Support supports() {
    return sdekit::Support::yes;
  }
  template <class P, class X>
  static constexpr sdekit::NoiseInformation noise_information() {
    return sdekit::NoiseInformation::time_integral;
  }
  template <class P, class X, class Inc>
  void do_step(const P&, X&, double, double, const Inc&) const {}
};
int main() {
  auto problem =
      sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; }, sdekit::additive);
  double x = 1.0;
  NeedsTimeIntegral stepper;
  auto wiener_only = [](std::uint64_t, double, double dt, double& dW) { dW = dt; };
  sdekit::integrate(stepper, problem, x, 0.0, 1.0, 0.1, wiener_only);
}
