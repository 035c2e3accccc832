#pragma once
// Helpers shared by the test suites for checking error messages.
#include <doctest/doctest.h>

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

}  // namespace sdekit_test
