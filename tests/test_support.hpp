#pragma once
// Helpers shared by the test suites for checking error messages.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace sdekit_test {

/// Checks that f() throws std::invalid_argument whose message contains `text` (an argument's name, usually).
template <class F>
void check_throws_naming(F&& f, const std::string& text) {
  try {
    f();
    FAIL("expected std::invalid_argument naming " << text);
  } catch (const std::invalid_argument& e) {
    CHECK_MESSAGE(std::string(e.what()).find(text) != std::string::npos, e.what());
  }
}

/// The message of the std::invalid_argument that f() throws, or a note that it threw none.
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument thrown)";
}

/// True when `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The environment variable SDEKIT_TEST_SCALE (a number in (0, 1], default 1) scales the sample sizes of the
/// slowest suites, so that the sanitizer build of CI (about 20 times slower) runs every suite in its time budget.
/// Tolerances are stated in standard errors, so they follow the smaller samples.
inline double test_scale() {
  const char* text = std::getenv("SDEKIT_TEST_SCALE");
  if (!text) return 1.0;
  const double scale = std::strtod(text, nullptr);
  return scale > 0.0 && scale <= 1.0 ? scale : 1.0;
}

/// n scaled by test_scale(), but never below `minimum`.
inline std::size_t scaled(std::size_t n, std::size_t minimum) {
  return std::max(minimum, static_cast<std::size_t>(static_cast<double>(n) * test_scale()));
}

}  // namespace sdekit_test
