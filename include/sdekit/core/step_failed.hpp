#pragma once
// The exception a stepper throws when it cannot take a step (an implicit stage equation without a solution, a Newton
// iteration that does not converge): the reason, the scheme and the step's time span. integrate() adds the step
// index; inside an ensemble the particle is recorded as failed with the message as its reason.
#include <sdekit/core/errors.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sdekit {

/// A step could not be taken: "<scheme>: <reason> in the step from t = <t> to t = <t + h>".
class StepFailed : public std::runtime_error {
 public:
  /// The message names the scheme, the reason and the step's time span.
  StepFailed(std::string_view scheme, std::string_view reason, double t, double h)
      : std::runtime_error(std::string(scheme) + ": " + std::string(reason) +
                           " in the step from t = " + detail::to_text(t) + " to t = " + detail::to_text(t + h)),
        time_(t),
        dt_(h) {}
  /// The same failure, its message prefixed by `context` (integrate adds "sdekit::integrate: step k").
  StepFailed(std::string_view context, const StepFailed& inner)
      : std::runtime_error(std::string(context) + ": " + inner.what()), time_(inner.time_), dt_(inner.dt_) {}
  double time() const { return time_; }  ///< the time at the start of the failed step
  double dt() const { return dt_; }      ///< the failed step's size

 private:
  double time_;
  double dt_;
};

}  // namespace sdekit
