// Problems: the noise kind deduced from what b returns, the calculus and declarations, Eigen expressions as
// functor results, and runtime size checks.
#include <sdekit/core/increment.hpp>
#include <sdekit/core/problem.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <doctest/doctest.h>

#include <type_traits>

using sdekit::NoiseKind;
using Vec3 = Eigen::Vector3d;

namespace {
auto scalar_problem = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
auto diagonal_problem = sdekit::make_sde([](const Vec3& x, double) { return -x; },  // returns an Eigen expression
                                         [](const Vec3& x, double) { return 0.5 * x; });
auto general_problem = sdekit::make_sde([](const Vec3& x, double) -> Vec3 { return -x; },
                                        [](const Vec3&, double) { return Eigen::Matrix<double, 3, 2>::Ones().eval(); });
auto dynamic_problem = sdekit::make_sde(
    [](const Eigen::VectorXd& x, double) -> Eigen::VectorXd { return -x; },
    [](const Eigen::VectorXd& x, double) -> Eigen::MatrixXd { return Eigen::MatrixXd::Ones(x.size(), 4); });
}  // namespace

// Compile-time facts, checked where they are decided.
static_assert(sdekit::noise_kind_v<decltype(scalar_problem), double> == NoiseKind::scalar);
static_assert(sdekit::noise_kind_v<decltype(diagonal_problem), Vec3> == NoiseKind::diagonal);
static_assert(sdekit::noise_kind_v<decltype(general_problem), Vec3> == NoiseKind::general);
static_assert(sdekit::noise_kind_v<decltype(dynamic_problem), Eigen::VectorXd> == NoiseKind::general);
static_assert(std::is_same_v<sdekit::wiener_increment_t<decltype(scalar_problem), double>, double>);
static_assert(std::is_same_v<sdekit::wiener_increment_t<decltype(diagonal_problem), Vec3>, Vec3>);
static_assert(std::is_same_v<sdekit::wiener_increment_t<decltype(general_problem), Vec3>, Eigen::Vector2d>);
static_assert(std::is_same_v<sdekit::wiener_increment_t<decltype(dynamic_problem), Eigen::VectorXd>, Eigen::VectorXd>);
static_assert(!decltype(scalar_problem)::is_stratonovich && !decltype(scalar_problem)::is_additive);
static_assert(decltype(sdekit::make_sde(scalar_problem.drift, scalar_problem.diffusion, sdekit::additive,
                                        sdekit::stratonovich))::is_stratonovich);
static_assert(sdekit::StateType<double> && sdekit::StateType<Vec3> && sdekit::StateType<Eigen::VectorXd>);
static_assert(!sdekit::StateType<float> && !sdekit::StateType<Eigen::Matrix3d> && !sdekit::StateType<Eigen::Vector3f>);

// Sophus-style explicit instantiation: every stepper compiles for every noise kind it supports.
template void sdekit::EulerMaruyama::do_step(const decltype(scalar_problem)&, double&, double, double,
                                             const double&) const;
template void sdekit::EulerMaruyama::do_step(const decltype(diagonal_problem)&, Vec3&, double, double,
                                             const Vec3&) const;
template void sdekit::EulerMaruyama::do_step(const decltype(general_problem)&, Vec3&, double, double,
                                             const Eigen::Vector2d&) const;

TEST_CASE("noise dimension is the number of Wiener processes") {
  CHECK(sdekit::noise_dimension(scalar_problem, 0.0, 0.0, "test") == 1);
  CHECK(sdekit::noise_dimension(diagonal_problem, Vec3::Ones().eval(), 0.0, "test") == 3);
  CHECK(sdekit::noise_dimension(general_problem, Vec3::Ones().eval(), 0.0, "test") == 2);
  CHECK(sdekit::noise_dimension(dynamic_problem, Eigen::VectorXd::Ones(5).eval(), 0.0, "test") == 4);
  CHECK(sdekit::make_zero_increment<sdekit::wiener_increment_t<decltype(dynamic_problem), Eigen::VectorXd>>(4).size() ==
        4);
}

TEST_CASE("a diffusion or drift whose dynamic size disagrees with the state is refused, naming it") {
  auto wrong_b =
      sdekit::make_sde([](const Eigen::VectorXd& x, double) -> Eigen::VectorXd { return -x; },
                       [](const Eigen::VectorXd&, double) -> Eigen::VectorXd { return Eigen::VectorXd::Ones(2); });
  CHECK_THROWS_WITH_AS(sdekit::noise_dimension(wrong_b, Eigen::VectorXd::Ones(3).eval(), 0.0, "here"),
                       doctest::Contains("here: rows of b(x, t) = 2 must equal the state size 3"),
                       std::invalid_argument);
  auto wrong_a =
      sdekit::make_sde([](const Eigen::VectorXd&, double) -> Eigen::VectorXd { return Eigen::VectorXd::Zero(4); },
                       [](const Eigen::VectorXd& x, double) -> Eigen::VectorXd { return x; });
  CHECK_THROWS_WITH_AS(sdekit::noise_dimension(wrong_a, Eigen::VectorXd::Ones(3).eval(), 0.0, "here"),
                       doctest::Contains("size of a(x, t) = 4"), std::invalid_argument);
}

TEST_CASE("one Euler–Maruyama step is a + b·dW for each noise kind") {
  sdekit::EulerMaruyama em;
  double x = 2.0;
  em.do_step(scalar_problem, x, 0.0, 0.1, 0.3);
  CHECK(x == doctest::Approx(2.0 - 0.2 + 0.3));

  Vec3 y(1, 2, 3);
  em.do_step(diagonal_problem, y, 0.0, 0.1, Vec3(1, -1, 2));
  CHECK(y[0] == doctest::Approx(1 - 0.1 + 0.5 * 1));
  CHECK(y[1] == doctest::Approx(2 - 0.2 - 0.5 * 2));
  CHECK(y[2] == doctest::Approx(3 - 0.3 + 0.5 * 3 * 2));

  Vec3 z(1, 1, 1);
  em.do_step(general_problem, z, 0.0, 0.1, Eigen::Vector2d(0.2, 0.3));
  CHECK(z[0] == doctest::Approx(1 - 0.1 + 0.5));
}
