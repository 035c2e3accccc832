// The noise of one step beyond ΔW: I_(1,0) and the Lévy areas A_jk by each LevyAreaAlgorithm, and the discrete
// increments of DiscreteNoise. Moments are checked against the Brownian values within 4.5 standard errors (fixed
// seeds). The exact Lévy area has E A_jk = 0, Var A_jk = h²/4 (h²/12 is its variance given ΔW and the space-time
// areas, see docs/noise.md), Cov(A_jk, ΔW) = 0, and, given ΔW, variance (h²/12)(1 + ξ_j² + ξ_k²) with ξ = ΔW/√h, so
// E[A_jk² ξ_j²] = 5h²/12. The Fourier truncation at p terms with the ΔW-tail (Milstein; Kloeden–Platen–Wright) keeps
// the ξ-dependent part and loses h² ψ'(p+1)/(2π²) of the constant one: Var A = h²/4 − h² ψ'(p+1)/(2π²) and
// E[A² ξ_j²] = 5h²/12 − h² ψ'(p+1)/(2π²) (Kloeden & Platen 1992, (10.3.7); Wiktorsson 2001, §2).
#include <sdekit/sdekit.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr double pi = 3.14159265358979323846;

// Running mean and variance of one quantity, for a check within k standard errors of the mean.
struct Mean {
  double n = 0, s = 0, ss = 0;
  void add(double v) { n += 1, s += v, ss += v * v; }
  double mean() const { return s / n; }
  double se() const { return std::sqrt((ss / n - mean() * mean()) / n); }
  bool near(double expected, double k = 4.5) const { return std::abs(mean() - expected) < k * se(); }
};

struct StepMoments {
  Mean i10_sq, i10_dw, area, area_sq, area_dw, area_sq_xi_sq;
  int wiener_bits_differ = 0, not_antisymmetric = 0;
};

template <class Source>
StepMoments step_moments(Source source_of, double h, int n) {
  using Inc = sdekit::LevyAreaIncrement<Eigen::Vector3d>;
  StepMoments out;
  for (int p = 0; p < n; ++p) {
    const auto noise = source_of(static_cast<std::uint64_t>(p));
    Inc inc = sdekit::make_zero_increment<Inc>(3);
    noise(5, 0.0, h, inc);
    Eigen::Vector3d plain;
    noise(5, 0.0, h, plain);
    if (plain != inc.dW) ++out.wiener_bits_differ;
    if (inc.A(0, 1) != -inc.A(1, 0) || inc.A(1, 2) != -inc.A(2, 1) || inc.A(0, 0) != 0) ++out.not_antisymmetric;
    out.i10_sq.add(inc.I10[1] * inc.I10[1]);
    out.i10_dw.add(inc.I10[1] * inc.dW[1]);
    // The pair (1, 2) uses the last pair normal of Mrongowius–Rößler's tail: a wrong index shows here.
    const double a = inc.A(1, 2), xi = inc.dW[1] / std::sqrt(h);
    out.area.add(a);
    out.area_sq.add(a * a);
    out.area_dw.add(a * inc.dW[2]);
    out.area_sq_xi_sq.add(a * a * xi * xi);
  }
  return out;
}

void check_moments(const StepMoments& m, double h, double truncated, const std::string& label) {
  INFO(label);
  CHECK(m.wiener_bits_differ == 0);
  CHECK(m.not_antisymmetric == 0);
  CHECK(m.i10_sq.near(h * h * h / 3));
  CHECK(m.i10_dw.near(h * h / 2));
  CHECK(m.area.near(0.0));
  CHECK(m.area_sq.near(h * h / 4 - truncated));
  CHECK(m.area_dw.near(0.0));
  CHECK(m.area_sq_xi_sq.near(5 * h * h / 12 - truncated));
  std::printf("%-44s Var A/h^2 = %.4f (expected %.4f), E[A^2 xi^2]/h^2 = %.4f (expected %.4f)\n", label.c_str(),
              m.area_sq.mean() / (h * h), 0.25 - truncated / (h * h), m.area_sq_xi_sq.mean() / (h * h),
              5.0 / 12 - truncated / (h * h));
}

}  // namespace

TEST_CASE("Lévy areas of one step by each algorithm: Brownian moments, minus the truncated part for Fourier") {
  using sdekit::LevyAreaAlgorithm;
  const int n = 200000;
  for (double h : {0.5, 0.02}) {
    for (LevyAreaAlgorithm algorithm :
         {LevyAreaAlgorithm::davie, LevyAreaAlgorithm::fourier, LevyAreaAlgorithm::mrongowius_roessler}) {
      const auto moments = step_moments([&](std::uint64_t p) { return sdekit::GaussianNoise(23, p, algorithm); }, h, n);
      const std::size_t terms = sdekit::detail::levy_area_terms(algorithm, 3, h);
      const double truncated = algorithm == LevyAreaAlgorithm::fourier
                                   ? h * h * sdekit::detail::trigamma(static_cast<double>(terms) + 1) / (2 * pi * pi)
                                   : 0.0;
      const char* name = algorithm == LevyAreaAlgorithm::davie     ? "Davie"
                         : algorithm == LevyAreaAlgorithm::fourier ? "Fourier"
                                                                   : "Mrongowius-Roessler";
      check_moments(moments, h, truncated,
                    std::string(name) + ", h = " + std::to_string(h) + ", p = " + std::to_string(terms));
    }
  }
}

TEST_CASE("the Fourier variance deficit is detectable: the test above tells a truncated area from an exact one") {
  // At h = 0.5 (p = 1) Fourier's Var A is 13% below h²/4: 4.5 standard errors of the estimate are 1.7%, so checking
  // it against the exact value must fail. (Guards against a moment test too loose to see a truncation.)
  const double h = 0.5;
  const auto moments = step_moments(
      [](std::uint64_t p) { return sdekit::GaussianNoise(23, p, sdekit::LevyAreaAlgorithm::fourier); }, h, 200000);
  CHECK_FALSE(moments.area_sq.near(h * h / 4));
}

TEST_CASE("truncation from h: p(h) is the smallest number of terms whose L2 error bound is at most h^(3/2)") {
  // The bounds of the papers (as LevyArea.jl states them): Fourier with the ΔW-tail h/(√2 π √p) (Milstein 1988,
  // Kloeden–Platen–Wright 1992), Mrongowius–Rößler √m h/(√12 π p) (2022, Thm. 4.3), for one A_jk in L².
  using sdekit::LevyAreaAlgorithm;
  auto bound = [](LevyAreaAlgorithm a, std::size_t m, double h, double p) {
    return a == LevyAreaAlgorithm::fourier ? h / (std::sqrt(2.0) * pi * std::sqrt(p))
                                           : std::sqrt(static_cast<double>(m)) * h / (std::sqrt(12.0) * pi * p);
  };
  int failures = 0;
  for (LevyAreaAlgorithm a : {LevyAreaAlgorithm::fourier, LevyAreaAlgorithm::mrongowius_roessler})
    for (std::size_t m : {2, 3, 10})
      for (double h = 1.0; h > 1e-6; h *= 0.61) {
        const auto p = static_cast<double>(sdekit::detail::levy_area_terms(a, m, h));
        if (bound(a, m, h, p) > std::pow(h, 1.5) * (1 + 1e-12)) ++failures;                // accurate enough
        if (p > 1 && bound(a, m, h, p - 1) <= std::pow(h, 1.5) * (1 - 1e-12)) ++failures;  // and the fewest
      }
  CHECK(failures == 0);
  CHECK(sdekit::detail::levy_area_terms(LevyAreaAlgorithm::fourier, 2, 1.0 / 1024) == 52);
  CHECK(sdekit::detail::levy_area_terms(LevyAreaAlgorithm::mrongowius_roessler, 2, 1.0 / 1024) == 5);
  CHECK(sdekit::detail::levy_area_terms(LevyAreaAlgorithm::davie, 2, 1.0 / 1024) == 0);
}

TEST_CASE("the truncated part has the size the papers state, and Fourier's error falls like h^(3/2)") {
  // A_p against the same series continued to P = 4p terms on the same normals (the first 2mp are shared Fourier
  // coefficients). With ψ_p = Σ_{r>p} 1/r² and a_p = √(2ψ_p), the difference D = A_p − A_P has
  //   Fourier:             Var D = h²/(4π²) (10 ψ_p − 2 ψ_P − 4√2 a_p/(p+1))
  //   Mrongowius–Rößler:   Var D = h²/(4π²) (12 ψ_p − 4√2 a_p/(p+1))
  // (the tails are independent of the left-out terms except through the shared ζ_{p+1}, which gives the a_p term).
  // Checked within 4.5 standard errors at h = 2^-3 … 2^-10 with 20000 draws. For Fourier p ∝ 1/h, so RMS(D)/h^{3/2}
  // stays below its limit √(10/(4π²)·2π²) = √5 (order 3/2 up to the rounding of p, which makes the slope over these
  // levels about 1.4); with p fixed it grows like h^-1/2 (order 1, also checked). This prefix
  // coupling keeps the tails uncoupled, so for Mrongowius–Rößler (p ∝ h^-1/2, error ∝ h/p with the coupled Gaussian
  // tail of its Theorem 4.3) it shows the size of the truncated part but not that theorem's order.
  using sdekit::LevyAreaAlgorithm;
  const std::size_t m = 2;
  const int draws = 20000, first = 3, last = 10;
  auto psi = [](std::size_t p) { return sdekit::detail::trigamma(static_cast<double>(p) + 1); };
  for (LevyAreaAlgorithm algorithm : {LevyAreaAlgorithm::fourier, LevyAreaAlgorithm::mrongowius_roessler}) {
    const bool fourier = algorithm == LevyAreaAlgorithm::fourier;
    std::vector<double> rms, rms_fixed;
    for (int level = first; level <= last; ++level) {
      const double h = std::ldexp(1.0, -level);
      const std::size_t p = sdekit::detail::levy_area_terms(algorithm, m, h), P = 4 * p;
      const std::size_t fixed = sdekit::detail::levy_area_terms(algorithm, m, 1.0 / 16);
      Mean d2, d2_fixed;
      std::vector<double> z(2 * m * P + 2 * m + 1);
      for (int d = 0; d < draws; ++d) {
        sdekit::RandomStream rng(31, static_cast<std::uint64_t>(d), static_cast<std::uint32_t>(level));
        const Eigen::Vector2d dW(std::sqrt(h) * rng.normal(), std::sqrt(h) * rng.normal());
        for (double& v : z) v = rng.normal();
        auto from = [&](std::size_t c) { return z[c]; };
        Eigen::Matrix2d A, reference, A_fixed;
        sdekit::detail::truncated_levy_area(A, dW, h, m, algorithm, p, 0, from);
        sdekit::detail::truncated_levy_area(reference, dW, h, m, algorithm, P, 0, from);
        sdekit::detail::truncated_levy_area(A_fixed, dW, h, m, algorithm, fixed, 0, from);
        d2.add(std::pow(A(0, 1) - reference(0, 1), 2));
        d2_fixed.add(std::pow(A_fixed(0, 1) - reference(0, 1), 2));
      }
      const double a = std::sqrt(2 * psi(p)), shared = 4 * std::sqrt(2.0) * a / static_cast<double>(p + 1);
      const double expected =
          h * h / (4 * pi * pi) * (fourier ? 10 * psi(p) - 2 * psi(P) - shared : 12 * psi(p) - shared);
      CHECK_MESSAGE(d2.near(expected), (fourier ? "Fourier" : "Mrongowius-Roessler"), " h = 2^-", level);
      rms.push_back(std::sqrt(d2.mean()));
      rms_fixed.push_back(std::sqrt(d2_fixed.mean()));
    }
    auto slope = [](const std::vector<double>& e, int from_level) {
      double sx = 0, sy = 0, sxx = 0, sxy = 0;
      const double k = static_cast<double>(e.size());
      for (std::size_t i = 0; i < e.size(); ++i) {
        const double x = -(from_level + static_cast<double>(i)) * std::log(2.0), y = std::log(e[i]);
        sx += x, sy += y, sxx += x * x, sxy += x * y;
      }
      return (k * sxy - sx * sy) / (k * sxx - sx * sx);
    };
    const std::vector<double> tail(rms.begin() + (5 - first), rms.end());
    const std::vector<double> tail_fixed(rms_fixed.begin() + (5 - first), rms_fixed.end());
    const double order = slope(tail, 5), order_fixed = slope(tail_fixed, 5);
    std::printf("%s: RMS of A_p - A_4p over h^1.5 at h = 2^-3 ... 2^-10:", fourier ? "Fourier" : "Mrongowius-Roessler");
    for (std::size_t i = 0; i < rms.size(); ++i)
      std::printf(" %.3f", rms[i] / std::pow(std::ldexp(1.0, -first - static_cast<int>(i)), 1.5));
    std::printf("; order over 2^-5 ... 2^-10: %.3f (p fixed at p(1/16): %.3f)\n", order, order_fixed);
    if (fourier)
      for (std::size_t i = 0; i < rms.size(); ++i)
        CHECK(rms[i] / std::pow(std::ldexp(1.0, -first - static_cast<int>(i)), 1.5) < std::sqrt(5.0));
    if (fourier) CHECK(order > 1.3);
    CHECK(std::abs(order_fixed - 1.0) < 0.1);
  }
}

TEST_CASE("ensembles and the odeint adaptor draw the areas of the chosen algorithm, as GaussianNoise(seed, i, area)") {
  // Non-commutative Milstein; dt = 0.3 on [0, 1] makes the last step 0.1, whose truncation needs more normals than
  // the others: the engine's buffers grow for it and the particles still equal integrate() bit for bit.
  using Vec2 = Eigen::Vector2d;
  auto problem = sdekit::make_sde([](const Vec2& x, double) -> Vec2 { return -0.5 * x; },
                                  [](const Vec2& x, double) {
                                    Eigen::Matrix2d b;
                                    b << 0.3 * x[1], 0.2, 0.1 * x[0], 0.4 * x[0];
                                    return b;
                                  });
  static_assert(sdekit::noise_information_v<sdekit::Milstein, decltype(problem), Vec2> ==
                sdekit::NoiseInformation::levy_area);
  for (auto algorithm : {sdekit::LevyAreaAlgorithm::fourier, sdekit::LevyAreaAlgorithm::mrongowius_roessler,
                         sdekit::LevyAreaAlgorithm::davie}) {
    sdekit::EnsembleOptions options;
    options.particles = 30;
    options.seed = 4;
    options.dt = 0.3;
    options.block_size = 7;
    options.levy_area = algorithm;
    const auto result = sdekit::simulate_ensemble(sdekit::Milstein{}, problem, Vec2(1.0, 0.5), options);
    const std::vector<Vec2> states = result.states(0);
    int mismatches = 0;
    for (std::size_t i = 0; i < options.particles; ++i) {
      Vec2 x(1.0, 0.5);
      sdekit::Milstein stepper;
      sdekit::integrate(stepper, problem, x, 0.0, 1.0, options.dt, sdekit::GaussianNoise(options.seed, i, algorithm));
      if (x != states[i]) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
  // The odeint adaptor draws the same increments (areas included) as integrate.
  namespace odeint = boost::numeric::odeint;
  const sdekit::GaussianNoise noise(4, 2);
  auto adaptor = sdekit::make_odeint_stepper<Vec2>(sdekit::Milstein{}, problem, noise);
  Vec2 via_odeint(1.0, 0.5), via_integrate(1.0, 0.5);
  odeint::integrate_const(adaptor, problem, via_odeint, 0.0, 1.0, 1.0 / 16);
  sdekit::Milstein stepper;
  sdekit::integrate(stepper, problem, via_integrate, 0.0, 1.0, 1.0 / 16, noise);
  CHECK(via_odeint == via_integrate);
}

TEST_CASE("DiscreteNoise: three-point and two-point increments with the right law, on their own counter spaces") {
  // Three-point: ΔW ∈ √(3h){−1, 0, 1} with frequencies 1/6, 2/3, 1/6 (each within 4.5 binomial standard errors), no
  // correlation between components, steps, or with the Gaussian normal of the same indices. I_(1,0) = h(ΔW/2 ± √(h/12))
  // has E I² = h³/3 and E[I ΔW] = h²/2. Two-point: ΔW = ±√h, each half the time.
  const double h = 0.25;
  const int n = 100000;
  Mean minus, zero, plus, cross_component, cross_step, cross_gaussian, i10_sq, i10_dw, two_plus;
  int bad_values = 0, wiener_bits_differ = 0;
  for (int p = 0; p < n; ++p) {
    const sdekit::DiscreteNoise noise(8, static_cast<std::uint64_t>(p));
    sdekit::TimeIntegralIncrement<Eigen::Vector2d> inc;
    noise(3, 0.0, h, inc);
    Eigen::Vector2d plain, next;
    noise(3, 0.0, h, plain);
    noise(4, 0.0, h, next);
    if (plain != inc.dW) ++wiener_bits_differ;
    const double u = inc.dW[0] / std::sqrt(3 * h);
    if (std::abs(u) > 1e-12 && std::abs(std::abs(u) - 1) > 1e-12) ++bad_values;
    minus.add(u < -0.5), zero.add(std::abs(u) < 0.5), plus.add(u > 0.5);
    cross_component.add(inc.dW[0] * inc.dW[1] / h);
    cross_step.add(inc.dW[0] * next[0] / h);
    cross_gaussian.add(inc.dW[0] / std::sqrt(h) * sdekit::standard_normal(8, static_cast<std::uint64_t>(p), 3, 0));
    i10_sq.add(inc.I10[0] * inc.I10[0]);
    i10_dw.add(inc.I10[0] * inc.dW[0]);
    double two;
    sdekit::DiscreteNoise(8, static_cast<std::uint64_t>(p), sdekit::IncrementLaw::two_point)(3, 0.0, h, two);
    if (std::abs(std::abs(two) - std::sqrt(h)) > 1e-15) ++bad_values;
    two_plus.add(two > 0);
  }
  CHECK(bad_values == 0);
  CHECK(wiener_bits_differ == 0);
  CHECK(minus.near(1.0 / 6));
  CHECK(zero.near(2.0 / 3));
  CHECK(plus.near(1.0 / 6));
  CHECK(two_plus.near(0.5));
  CHECK(cross_component.near(0.0));
  CHECK(cross_step.near(0.0));
  CHECK(cross_gaussian.near(0.0));
  CHECK(i10_sq.near(h * h * h / 3));
  CHECK(i10_dw.near(h * h / 2));
}

TEST_CASE("bad input to the discrete noise is refused with the function, the argument and its value") {
  CHECK_THROWS_WITH_AS(sdekit::DiscreteNoise(1, 0, sdekit::IncrementLaw::gaussian),
                       doctest::Contains("sdekit::DiscreteNoise: law = gaussian"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::discrete_variable(1, 0, 0, 0, sdekit::IncrementLaw::gaussian),
                       doctest::Contains("sdekit::discrete_variable"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(sdekit::discrete_variable(1, std::uint64_t{1} << 33, 0, 0, sdekit::IncrementLaw::two_point),
                       doctest::Contains("particle"), std::invalid_argument);
}
