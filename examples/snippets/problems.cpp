// The compiled snippets of docs/problems.md (see CONTRIBUTING.md, "Documentation snippets").
#include <sdekit/sdekit.hpp>

#include "check.hpp"

using sdekit_snippets::check;

//[ noise_kinds
using Vec3 = Eigen::Vector3d;
auto scalar_problem = sdekit::make_sde([](double x, double) { return -x; }, [](double, double) { return 1.0; });
auto diagonal_problem = sdekit::make_sde([](const Vec3& x, double) { return -x; },  // returns an Eigen expression
                                         [](const Vec3& x, double) { return 0.5 * x; });
auto general_problem = sdekit::make_sde([](const Vec3& x, double) -> Vec3 { return -x; },
                                        [](const Vec3&, double) { return Eigen::Matrix<double, 3, 2>::Ones().eval(); });

static_assert(sdekit::noise_kind_v<decltype(scalar_problem), double> == sdekit::NoiseKind::scalar);
static_assert(sdekit::noise_kind_v<decltype(diagonal_problem), Vec3> == sdekit::NoiseKind::diagonal);
static_assert(sdekit::noise_kind_v<decltype(general_problem), Vec3> == sdekit::NoiseKind::general);
static_assert(std::is_same_v<sdekit::wiener_increment_t<decltype(general_problem), Vec3>, Eigen::Vector2d>);
//]

int main() {
  //[ noise_kinds
  const std::size_t m = sdekit::noise_dimension(general_problem, Vec3::Ones().eval(), 0.0, "example");  // 2
  //]
  check(m == 2, "general_problem has two Wiener processes");
  check(sdekit::noise_dimension(diagonal_problem, Vec3::Ones().eval(), 0.0, "example") == 3,
        "diagonal_problem has three Wiener processes");
  return sdekit_snippets::failures;
}
