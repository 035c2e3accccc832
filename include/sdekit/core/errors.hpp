#pragma once
// Runtime argument checks: every failure is a std::invalid_argument naming the function, the argument and its value.
#include <charconv>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace sdekit::detail {

/// Formats a value the way error messages show it: doubles in their shortest round-trip form, Eigen vectors
/// as "(x0, x1, …)", Eigen matrices as "[(row 0), (row 1), …]".
template <class T>
std::string to_text(const T& value) {
  if constexpr (std::is_floating_point_v<T>) {
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    return std::string(buffer, end);
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(value);
  } else {
    if constexpr (requires {
                    value.transpose();
                    value.rows();
                    value(0, 0);
                  }) {  // Eigen: "(1, nan)", "[(1, 2), (3, 4)]"
      using Index = decltype(value.rows());
      auto list = [&](Index n, auto entry) {
        std::string text = "(";
        for (Index i = 0; i < n; ++i) text += (i ? ", " : "") + entry(i);
        return text + ")";
      };
      if (value.cols() == 1) return list(value.rows(), [&](Index i) { return to_text(double(value(i, 0))); });
      auto row = [&](Index r) { return list(value.cols(), [&](Index c) { return to_text(double(value(r, c))); }); };
      if (value.rows() == 1) return row(0);
      std::string text = "[";
      for (Index r = 0; r < value.rows(); ++r) text += (r ? ", " : "") + row(r);
      return text + "]";
    } else {
      std::ostringstream out;
      out << value;
      return out.str();
    }
  }
}

/// Throws std::invalid_argument("<where>: <argument> = <value> <requirement>").
template <class T>
[[noreturn]] void throw_invalid(std::string_view where, std::string_view argument, const T& value,
                                std::string_view requirement) {
  std::string message;
  message.append(where).append(": ").append(argument).append(" = ").append(to_text(value));
  message.append(" ").append(requirement);
  throw std::invalid_argument(message);
}

/// Throws unless `ok`; see throw_invalid for the message.
template <class T>
void require(bool ok, std::string_view where, std::string_view argument, const T& value, std::string_view requirement) {
  if (!ok) throw_invalid(where, argument, value, requirement);
}

}  // namespace sdekit::detail
