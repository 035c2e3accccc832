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

//[ in_place
// du_i = c (u_{i−1} − 2u_i + u_{i+1}) dt + s dW_i on a grid of n points: a large state, written in place
constexpr double c = 100.0, s = 0.2;
auto heat = sdekit::make_sde(
    [](const Eigen::VectorXd& u, double, Eigen::VectorXd& out) {  // a(x, t, out): out arrives sized like u
      const Eigen::Index n = u.size();
      out[0] = c * (-2.0 * u[0] + u[1]);
      for (Eigen::Index i = 1; i < n - 1; ++i) out[i] = c * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
      out[n - 1] = c * (u[n - 2] - 2.0 * u[n - 1]);
    },
    [](const Eigen::VectorXd&, double, Eigen::VectorXd& out) { out.setConstant(s); });  // b(x, t, out): diagonal

static_assert(sdekit::in_place_drift_v<decltype(heat), Eigen::VectorXd>);
static_assert(sdekit::noise_kind_v<decltype(heat), Eigen::VectorXd> == sdekit::NoiseKind::diagonal);
//]

int main() {
  //[ noise_kinds
  const std::size_t m = sdekit::noise_dimension(general_problem, Vec3::Ones().eval(), 0.0, "example");  // 2
  //]
  check(m == 2, "general_problem has two Wiener processes");
  check(sdekit::noise_dimension(diagonal_problem, Vec3::Ones().eval(), 0.0, "example") == 3,
        "diagonal_problem has three Wiener processes");
  //[ in_place
  Eigen::VectorXd u = Eigen::VectorXd::Constant(1000, 1.0);
  sdekit::EulerMaruyama em;
  sdekit::integrate(em, heat, u, 0.0, 0.01, 1e-3, sdekit::GaussianNoise(42));  // no allocation per step
  //]
  check(u.size() == 1000 && u.allFinite() && u.maxCoeff() < 1.5, "the in-place heat equation stays finite and bounded");
  return sdekit_snippets::failures;
}
