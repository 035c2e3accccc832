#pragma once
// Lets Boost.Odeint's integrate_const / integrate_times / integrate_n_steps drive an sdekit stepper with a noise
// source and ordinary odeint observers obs(x, t). Odeint copies steppers freely, so the adaptor holds the problem
// and the noise by reference and keeps its step counter in shared storage that every copy sees.
#include <sdekit/core/stepper.hpp>

#include <boost/numeric/odeint/stepper/stepper_categories.hpp>

#include <cstdint>
#include <memory>

namespace sdekit {

/// An odeint Stepper (stepper_tag) made of an sdekit stepper, a problem and a noise source.
template <class Stepper, class P, class X, class Noise>
class OdeintSdeStepper {
 public:
  using state_type = X;                                          ///< odeint: the state
  using deriv_type = X;                                          ///< odeint: the derivative type
  using value_type = double;                                     ///< odeint: the scalar type
  using time_type = double;                                      ///< odeint: the time type
  using order_type = double;                                     ///< odeint: the order's type
  using stepper_category = boost::numeric::odeint::stepper_tag;  ///< odeint: a fixed-step stepper

  /// Wraps stepper, problem and noise (the last two by reference: they must outlive the adaptor and its copies).
  OdeintSdeStepper(Stepper stepper, const P& problem, Noise& noise)
      : stepper_(stepper), problem_(&problem), noise_(&noise), steps_(std::make_shared<std::uint64_t>(0)) {}

  /// The wrapped scheme's strong order on this problem.
  order_type order() const { return strong_order_v<Stepper, P, X>; }

  /// odeint's call: the system argument is ignored (the problem is already bound); draws the next step's increment.
  template <class System>
  void do_step(System&&, X& x, double t, double dt) {
    if (!increment_initialised_) {
      increment_ = make_zero_increment<Increment>(noise_dimension(*problem_, x, t, "sdekit::OdeintSdeStepper"));
      increment_initialised_ = true;
    }
    (*noise_)((*steps_)++, t, dt, increment_);
    stepper_.do_step(*problem_, x, t, dt, increment_);
  }

  /// Steps taken so far by this adaptor and all its copies.
  std::uint64_t steps_taken() const { return *steps_; }

 private:
  Stepper stepper_;
  const P* problem_;
  Noise* noise_;
  using Increment = increment_t<Stepper, P, X>;
  std::shared_ptr<std::uint64_t> steps_;
  Increment increment_{};
  bool increment_initialised_ = false;
};

/// Makes the odeint adaptor; X is the state type (deduce it from the state you will integrate).
template <class X, class Stepper, class P, class Noise>
OdeintSdeStepper<Stepper, P, X, Noise> make_odeint_stepper(Stepper stepper, const P& problem, Noise& noise) {
  static_assert(check_stepper<Stepper, P, X>());
  static_assert(check_noise_source<Noise, increment_t<Stepper, P, X>>());
  return OdeintSdeStepper<Stepper, P, X, Noise>(stepper, problem, noise);
}

}  // namespace sdekit
