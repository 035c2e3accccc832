// Weak order of the weak order 2 scheme DRI1, measured without Monte Carlo error. On a linear SDE every scheme here
// maps X_n to X_{n+1} = R X_n with a random matrix R that depends only on the step's random variables, so
//   E[X_N] = E[R]^N x0   and   vec E[X_N X_Nᵀ] = E[R ⊗ R]^N vec(x0 x0ᵀ),
// and E[R], E[R ⊗ R] are finite sums: over the 3^m · 2^m outcomes of the three-point ΔW and two-point Ĩ, or a
// Gauss–Hermite rule that is exact for the (polynomial) entries of R ⊗ R under Gaussian increments. R is obtained by
// calling the stepper's own do_step on the unit vectors. The weak errors |E[X_T] − exact| and |E|X_T|² − exact| are
// thus the scheme's bias alone, and their slope against dt is the weak order; Euler–Maruyama in the same harness
// measures 1, which shows the measurement tells orders apart.
#include <sdekit/sdekit.hpp>

#include <doctest/doctest.h>

// GCC 12 reports Eigen's vectorised copies of the 1×1 dynamic matrices of the scalar case as out of bounds (false
// positives of -Warray-bounds / -Wstringop-overread on 8-byte heap storage); the sizes here are checked by Eigen.
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using Vec2 = Eigen::Vector2d;
using Mat2 = Eigen::Matrix2d;

// One joint outcome of a step's standardised variables: z (ΔW/√h per process) and e (Ĩ/√h per process).
struct Outcome {
  double weight;
  Eigen::VectorXd z, e;
};

// The outcomes of m processes under `law`: three-point z with two-point e, or 5-point Gauss–Hermite in every
// variable (exact for polynomials of degree ≤ 9 in each, far above the degree 4 of R ⊗ R's entries).
std::vector<Outcome> outcomes(sdekit::IncrementLaw law, int m, bool with_e) {
  std::vector<double> zn, zw, en, ew;
  if (law == sdekit::IncrementLaw::three_point) {
    zn = {-std::sqrt(3.0), 0.0, std::sqrt(3.0)};
    zw = {1.0 / 6, 2.0 / 3, 1.0 / 6};
    en = {-1.0, 1.0};
    ew = {0.5, 0.5};
  } else {
    zn = {-2.856970013872806, -1.355626179974266, 0.0, 1.355626179974266, 2.856970013872806};
    zw = {0.01125741132772071, 0.2220759220056126, 8.0 / 15, 0.2220759220056126, 0.01125741132772071};
    en = zn;
    ew = zw;
  }
  if (!with_e) en = {0.0}, ew = {1.0};
  std::vector<Outcome> all = {{1.0, Eigen::VectorXd(0), Eigen::VectorXd(0)}};
  auto extend = [&](const std::vector<double>& nodes, const std::vector<double>& weights, bool is_z) {
    std::vector<Outcome> next;
    for (const Outcome& o : all)
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        Outcome n = o;
        n.weight *= weights[i];
        Eigen::VectorXd& v = is_z ? n.z : n.e;
        v.conservativeResize(v.size() + 1);
        v[v.size() - 1] = nodes[i];
        next.push_back(n);
      }
    all = next;
  };
  for (int j = 0; j < m; ++j) extend(zn, zw, true);
  for (int j = 0; j < m; ++j) extend(en, ew, false);
  return all;
}

struct WeakErrors {
  std::vector<double> mean, second, third;  // third: E[X³], for scalar states only
};

// Weak errors at dt = 2^-level over [0, 1] of a scheme whose step is one_step(x, z, e, h) (x a state as an
// Eigen::VectorXd of size n); exact_mean and exact_second are E[X_1] and E|X_1|².
template <class OneStep>
WeakErrors weak_errors(OneStep one_step, int n, int m, bool with_e, sdekit::IncrementLaw law, const Eigen::VectorXd& x0,
                       const Eigen::VectorXd& exact_mean, double exact_second, int first, int last,
                       double exact_third = 0) {
  WeakErrors out;
  const auto all = outcomes(law, m, with_e);
  for (int level = first; level <= last; ++level) {
    const double h = std::ldexp(1.0, -level);
    Eigen::MatrixXd ER = Eigen::MatrixXd::Zero(n, n), ERR = Eigen::MatrixXd::Zero(n * n, n * n);
    double ER3 = 0;
    for (const Outcome& o : all) {
      Eigen::MatrixXd R(n, n);
      for (int i = 0; i < n; ++i) R.col(i) = one_step(Eigen::VectorXd::Unit(n, i), o.z, o.e, h);
      ER += o.weight * R;
      ER3 += o.weight * R(0, 0) * R(0, 0) * R(0, 0);
      Eigen::MatrixXd RR(n * n, n * n);  // (R ⊗ R) acting on vec(S) gives vec(R S Rᵀ)
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) RR.block(a * n, b * n, n, n) = R(a, b) * R;
      ERR += o.weight * RR;
    }
    Eigen::VectorXd mean = x0;
    Eigen::MatrixXd S0 = x0 * x0.transpose();
    Eigen::VectorXd second = Eigen::Map<Eigen::VectorXd>(S0.data(), n * n);
    for (int k = 0; k < (1 << level); ++k) {
      mean = ER * mean;
      second = ERR * second;
    }
    double trace = 0;
    for (int i = 0; i < n; ++i) trace += second[i * n + i];
    out.mean.push_back((mean - exact_mean).norm());
    out.second.push_back(std::abs(trace - exact_second));
    if (n == 1) out.third.push_back(std::abs(std::pow(ER3, 1 << level) * std::pow(x0[0], 3) - exact_third));
  }
  return out;
}

double slope(const std::vector<double>& errors, int first) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = static_cast<double>(errors.size());
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const double x = -(first + static_cast<double>(i)) * std::log(2.0), y = std::log(errors[i]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

void report(const std::string& label, const std::vector<double>& errors, double order) {
  std::printf("%-52s", label.c_str());
  for (double e : errors) std::printf(" %.2e", e);
  std::printf("  weak order %.3f\n", order);
}

// ---- GBM: dX = μX dt + σX dW, E[X_1] = x0 e^μ, E[X_1²] = x0² e^{2μ + σ²} ----
constexpr double gbm_mu = 1.0, gbm_sigma = 0.5;
auto gbm() {
  return sdekit::make_sde([](double x, double) { return gbm_mu * x; }, [](double x, double) { return gbm_sigma * x; });
}

template <class Stepper>
WeakErrors gbm_weak_errors(Stepper stepper, sdekit::IncrementLaw law, int first, int last) {
  auto one_step = [&](const Eigen::VectorXd& x, const Eigen::VectorXd& z, const Eigen::VectorXd&, double h) {
    double y = x[0];
    stepper.do_step(gbm(), y, 0.0, h, std::sqrt(h) * z[0]);
    return Eigen::VectorXd::Constant(1, y);
  };
  return weak_errors(one_step, 1, 1, false, law, Eigen::VectorXd::Ones(1),
                     Eigen::VectorXd::Constant(1, std::exp(gbm_mu)), std::exp(2 * gbm_mu + gbm_sigma * gbm_sigma),
                     first, last, std::exp(3 * gbm_mu + 3 * gbm_sigma * gbm_sigma));
}

// ---- A 2-D linear system with general non-commutative noise: dX = A X dt + B1 X dW1 + B2 X dW2, B1 B2 ≠ B2 B1 ----
// E[X_1] = e^A x0; S = E[X Xᵀ] solves S' = A S + S Aᵀ + Σ_j B_j S B_jᵀ, integrated here by RK4 with 2^14 steps
// (error ~1e-16, far below the smallest weak error measured).
const Mat2 lin_A = (Mat2() << -1.0, 0.5, 0.0, -0.5).finished();
const Mat2 lin_B1 = (Mat2() << 0.5, 0.0, 0.3, 0.2).finished();
const Mat2 lin_B2 = (Mat2() << 0.0, 0.4, -0.4, 0.3).finished();
const Vec2 lin_x0(1.0, 0.5);
auto linear_general() {
  return sdekit::make_sde([](const Vec2& x, double) -> Vec2 { return lin_A * x; },
                          [](const Vec2& x, double) {
                            Mat2 b;
                            b.col(0) = lin_B1 * x;
                            b.col(1) = lin_B2 * x;
                            return b;
                          });
}
struct LinearExact {
  Vec2 mean;
  double second;
};
LinearExact linear_exact() {
  auto mean_rhs = [](const Vec2& v) -> Vec2 { return lin_A * v; };
  auto cov_rhs = [](const Mat2& S) -> Mat2 {
    return lin_A * S + S * lin_A.transpose() + lin_B1 * S * lin_B1.transpose() + lin_B2 * S * lin_B2.transpose();
  };
  const int steps = 1 << 14;
  const double h = 1.0 / steps;
  Vec2 m = lin_x0;
  Mat2 S = lin_x0 * lin_x0.transpose();
  for (int k = 0; k < steps; ++k) {
    const Vec2 m1 = mean_rhs(m), m2 = mean_rhs(m + 0.5 * h * m1), m3 = mean_rhs(m + 0.5 * h * m2),
               m4 = mean_rhs(m + h * m3);
    m += h / 6 * (m1 + 2 * m2 + 2 * m3 + m4);
    const Mat2 s1 = cov_rhs(S), s2 = cov_rhs(S + 0.5 * h * s1), s3 = cov_rhs(S + 0.5 * h * s2),
               s4 = cov_rhs(S + h * s3);
    S += h / 6 * (s1 + 2 * s2 + 2 * s3 + s4);
  }
  return {m, S.trace()};
}

template <class Stepper>
WeakErrors linear_weak_errors(Stepper stepper, sdekit::IncrementLaw law, int first, int last) {
  using Inc = sdekit::increment_t<Stepper, decltype(linear_general()), Vec2>;
  auto one_step = [&](const Eigen::VectorXd& x, const Eigen::VectorXd& z, const Eigen::VectorXd& e, double h) {
    Vec2 y = x;
    Inc inc = sdekit::make_zero_increment<Inc>(2);
    sdekit::wiener_part(inc) = std::sqrt(h) * Vec2(z);
    if constexpr (!sdekit::is_wiener_increment_v<Inc>) inc.I10 = h * (0.5 * inc.dW + std::sqrt(h / 12) * Vec2(e));
    stepper.do_step(linear_general(), y, 0.0, h, inc);
    return Eigen::VectorXd(y);
  };
  const LinearExact exact = linear_exact();
  return weak_errors(one_step, 2, 2, true, law, lin_x0, exact.mean, exact.second, first, last);
}

constexpr int first_level = 3, last_level = 9;

}  // namespace

TEST_CASE("the quadrature of the harness is exact for the moments it needs") {
  // E[Z^4] = 3 and E[Z^8] = 105 under the 5-point rule; the three-point law has E[Z²] = 1, E[Z⁴] = 3 (as the Gaussian)
  // but E[Z⁶] = 9 (not 15), which is why it is enough for weak order 2 but no more.
  double gauss4 = 0, gauss8 = 0, three2 = 0, three4 = 0, three6 = 0;
  for (const auto& o : outcomes(sdekit::IncrementLaw::gaussian, 1, false))
    gauss4 += o.weight * std::pow(o.z[0], 4), gauss8 += o.weight * std::pow(o.z[0], 8);
  for (const auto& o : outcomes(sdekit::IncrementLaw::three_point, 1, false)) {
    three2 += o.weight * std::pow(o.z[0], 2);
    three4 += o.weight * std::pow(o.z[0], 4);
    three6 += o.weight * std::pow(o.z[0], 6);
  }
  CHECK(gauss4 == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(gauss8 == doctest::Approx(105.0).epsilon(1e-12));
  CHECK(three2 == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(three4 == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(three6 == doctest::Approx(9.0).epsilon(1e-12));
}

TEST_CASE("DRI1 has weak order 2 on GBM and on a 2-D linear system with non-commutative noise, both laws") {
  // The moments that involve the noise (E[X²], E|X|², E[X³]) converge at order 2 ± 0.3. E[X] of a linear SDE solves
  // the drift's ODE, which the three drift stages integrate at order 3: there the check is order ≥ 2 − 0.3.
  using sdekit::IncrementLaw;
  for (IncrementLaw law : {IncrementLaw::gaussian, IncrementLaw::three_point}) {
    const std::string name = law == IncrementLaw::gaussian ? "Gaussian" : "three-point";
    const WeakErrors g = gbm_weak_errors(sdekit::Dri1{}, law, first_level, last_level);
    const WeakErrors l = linear_weak_errors(sdekit::Dri1{}, law, first_level, last_level);
    const double noise_orders[] = {slope(g.second, first_level), slope(g.third, first_level),
                                   slope(l.second, first_level)};
    const double mean_orders[] = {slope(g.mean, first_level), slope(l.mean, first_level)};
    report("DRI1 " + name + ", GBM E[X]", g.mean, mean_orders[0]);
    report("DRI1 " + name + ", GBM E[X^2]", g.second, noise_orders[0]);
    report("DRI1 " + name + ", GBM E[X^3]", g.third, noise_orders[1]);
    report("DRI1 " + name + ", 2-D general E[X]", l.mean, mean_orders[1]);
    report("DRI1 " + name + ", 2-D general E|X|^2", l.second, noise_orders[2]);
    for (double order : noise_orders) CHECK_MESSAGE(std::abs(order - 2.0) < 0.3, name);
    for (double order : mean_orders) CHECK_MESSAGE(order > 1.7, name);
  }
}

TEST_CASE("the harness tells weak orders apart: Euler-Maruyama measures 1 where DRI1 measures 2") {
  const WeakErrors g =
      gbm_weak_errors(sdekit::EulerMaruyama{}, sdekit::IncrementLaw::three_point, first_level, last_level);
  const WeakErrors l =
      linear_weak_errors(sdekit::EulerMaruyama{}, sdekit::IncrementLaw::gaussian, first_level, last_level);
  const double orders[] = {slope(g.mean, first_level), slope(g.second, first_level), slope(g.third, first_level),
                           slope(l.mean, first_level)};
  report("Euler-Maruyama three-point, GBM E[X]", g.mean, orders[0]);
  report("Euler-Maruyama three-point, GBM E[X^2]", g.second, orders[1]);
  report("Euler-Maruyama three-point, GBM E[X^3]", g.third, orders[2]);
  report("Euler-Maruyama Gaussian, 2-D general E[X]", l.mean, orders[3]);
  for (double order : orders) CHECK(std::abs(order - 1.0) < 0.3);
}

TEST_CASE("DRI1's tableau: the closed forms of Debrabant & Rößler (2009) and order conditions of Rößler (2009)") {
  using T = sdekit::Dri1Tableau;
  CHECK(T::b021 == doctest::Approx((6 - std::sqrt(6.0)) / 10).epsilon(1e-15));
  CHECK(T::b031 == doctest::Approx((3 + 2 * std::sqrt(6.0)) / 5).epsilon(1e-15));
  CHECK(T::b121 == doctest::Approx(3 * std::sqrt(38.0 / 491)).epsilon(1e-15));
  CHECK(T::b221 == doctest::Approx(-214.0 / 513 * std::sqrt(1105.0 / 991)).epsilon(1e-15));
  CHECK(T::b222 == doctest::Approx(-491.0 / 513 * std::sqrt(221.0 / 4955)).epsilon(1e-15));
  CHECK(T::beta22 == doctest::Approx(std::sqrt(491.0 / 38) / 6).epsilon(1e-15));
  CHECK(T::beta42 == doctest::Approx(-std::sqrt(4955.0 / 221) / 8).epsilon(1e-15));
  // With e = (1, 1, 1), the stage vectors of the scheme and the conditions of Rößler (2009), Theorem 5.1 they enter:
  const Eigen::Vector3d alpha(T::alpha1, T::alpha2, T::alpha3), beta1(T::beta11, T::beta12, T::beta12),
      beta2(0, T::beta22, -T::beta22), beta3(T::beta31, T::beta32, T::beta32), beta4(0, T::beta42, -T::beta42);
  const Eigen::Vector3d A0e(0, T::a021, T::a031 + T::a032), B0e(0, T::b021, T::b031), A1e(0, T::a121, T::a121),
      B1e(0, T::b121, -T::b121), B2e(0, T::b221 + 2 * T::b222, -(T::b221 + 2 * T::b222));
  const Eigen::Vector3d c0(0, T::c02, T::c03);
  CHECK(alpha.sum() == doctest::Approx(1.0));                       // αᵀe = 1
  CHECK(beta1.sum() == doctest::Approx(1.0));                       // (β(1)ᵀe)² = 1
  CHECK(beta2.sum() == doctest::Approx(0.0));                       // β(2)ᵀe = 0
  CHECK(beta3.sum() == doctest::Approx(0.0));                       // β(3)ᵀe = 0
  CHECK(beta4.sum() == doctest::Approx(0.0));                       // β(4)ᵀe = 0
  CHECK((A0e - c0).norm() == doctest::Approx(0.0));                 // A(0)e = c(0) (row sums)
  CHECK(alpha.dot(A0e) == doctest::Approx(0.5));                    // αᵀA(0)e = ½
  CHECK(alpha.dot(B0e.cwiseProduct(B0e)) == doctest::Approx(0.5));  // αᵀ(B(0)e)² = ½
  CHECK(beta1.dot(A1e) == doctest::Approx(0.5));                    // β(1)ᵀA(1)e = ½
  CHECK(beta1.dot(B1e) == doctest::Approx(0.0));                    // β(1)ᵀB(1)e = 0
  CHECK(beta2.dot(A1e) == doctest::Approx(0.0));                    // β(2)ᵀA(1)e = 0
  CHECK(beta2.dot(B1e) == doctest::Approx(1.0));                    // β(2)ᵀB(1)e = 1
  CHECK(beta3.dot(B2e) == doctest::Approx(0.0));                    // β(3)ᵀB(2)e = 0
  CHECK(beta4.dot(B2e) == doctest::Approx(1.0));                    // β(4)ᵀB(2)e = 1
}

TEST_CASE("DRI1 in an ensemble with three-point increments: particle i is integrate() with DiscreteNoise(seed, i)") {
  // Bitwise, for the scalar GBM and the 2-D general system (whose increments carry I_(1,0) for Ĩ); and the ensemble's
  // sample moments of GBM at dt = 1/4 agree with the scheme's exact expectations E[R]^4 x0 within 4.5 standard errors.
  sdekit::EnsembleOptions options;
  options.particles = 40000;
  options.seed = 17;
  options.dt = 0.25;
  options.block_size = 100;
  options.increment_law = sdekit::IncrementLaw::three_point;
  const auto result = sdekit::simulate_ensemble(sdekit::Dri1{}, gbm(), 1.0, options);
  const std::vector<double> states = result.states(0);
  int mismatches = 0;
  double sum = 0, sum2 = 0, sum4 = 0;
  for (std::size_t i = 0; i < options.particles; ++i) {
    double x = 1.0;
    sdekit::Dri1 stepper;
    if (i < 200) {
      sdekit::integrate(stepper, gbm(), x, 0.0, 1.0, options.dt,
                        sdekit::DiscreteNoise(options.seed, i, sdekit::IncrementLaw::three_point));
      if (x != states[i]) ++mismatches;
    }
    sum += states[i], sum2 += states[i] * states[i], sum4 += std::pow(states[i], 4);
  }
  CHECK(mismatches == 0);
  const double n = static_cast<double>(options.particles);
  const double mean = sum / n, second = sum2 / n;
  // The scheme's exact expectations at dt = 1/4 (level 2) are the exact moments plus the harness's weak errors.
  const WeakErrors w = gbm_weak_errors(sdekit::Dri1{}, sdekit::IncrementLaw::three_point, 2, 2);
  const double exact_mean = std::exp(gbm_mu), exact_second = std::exp(2 * gbm_mu + gbm_sigma * gbm_sigma);
  const double se_mean = std::sqrt((second - mean * mean) / n), se_second = std::sqrt((sum4 / n - second * second) / n);
  // The bias (w.mean[0], w.second[0]) is below 1% and either sign; the check allows it on both sides.
  CHECK(std::abs(mean - exact_mean) < 4.5 * se_mean + w.mean[0]);
  CHECK(std::abs(second - exact_second) < 4.5 * se_second + w.second[0]);

  sdekit::EnsembleOptions two = options;
  two.particles = 50;
  two.dt = 1.0 / 16;
  const auto general = sdekit::simulate_ensemble(sdekit::Dri1{}, linear_general(), lin_x0, two);
  const std::vector<Vec2> vs = general.states(0);
  mismatches = 0;
  for (std::size_t i = 0; i < two.particles; ++i) {
    Vec2 x = lin_x0;
    sdekit::Dri1 stepper;
    sdekit::integrate(stepper, linear_general(), x, 0.0, 1.0, two.dt,
                      sdekit::DiscreteNoise(two.seed, i, sdekit::IncrementLaw::three_point));
    if (x != vs[i]) ++mismatches;
  }
  CHECK(mismatches == 0);
}
