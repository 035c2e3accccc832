// How error messages show values: the shortest round-trip double, Eigen vectors and matrices on one line, text as is.
#include <sdekit/core/errors.hpp>

#include <Eigen/Core>
#include <doctest/doctest.h>

#include <limits>
#include <string>

using sdekit::detail::to_text;

TEST_CASE("to_text shows each kind of value on one line") {
  CHECK(to_text(0.1) == "0.1");
  CHECK(to_text(-2.5e-9) == "-2.5e-09");
  CHECK(to_text(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(to_text(std::size_t{42}) == "42");
  CHECK(to_text(Eigen::Vector2d(1.0, 0.5)) == "(1, 0.5)");
  CHECK(to_text(Eigen::Matrix<double, 1, 1>(3.0)) == "(3)");
  CHECK(to_text(Eigen::RowVector3d(1, 2, 3)) == "(1, 2, 3)");
  Eigen::Matrix2d m;
  m << 1, 2, 3, 4;
  CHECK(to_text(m) == "[(1, 2), (3, 4)]");
  CHECK(to_text(std::string("kappa")) == "kappa");
}

TEST_CASE("require throws std::invalid_argument naming where, what and the value") {
  CHECK_THROWS_WITH_AS(sdekit::detail::require(false, "f", "dt", -1.0, "must be positive"),
                       "f: dt = -1 must be positive", std::invalid_argument);
  CHECK_NOTHROW(sdekit::detail::require(true, "f", "dt", 1.0, "must be positive"));
}
