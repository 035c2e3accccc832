// The samplers practitioners use (DPM-Solver++ 2M/3M and their SDE variants, Euler ancestral) and the batched score
// interface, against exact laws: Gaussian data make every deterministic step affine, so the whole sampler is an
// affine map computed here by a scalar recursion per eigen-direction (to 1e-10); the error against the exact
// probability-flow map falls at the published orders; a 1-D mixture gives mode masses and moments within 4.5
// standard errors for the stochastic samplers; samples are bitwise the same for any thread count, block size and
// for per-particle vs batched scores; the parameterisation conversions and classifier-free guidance are checked
// against their definitions; bad input is refused naming the argument.
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/ddpm.hpp>
#include <sdekit/diffusion/dpm_solver.hpp>
#include <sdekit/diffusion/euler_ancestral.hpp>
#include <sdekit/diffusion/schedules.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/diffusion/unipc.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;
using namespace sdekit;
using V2 = Eigen::Vector2d;
using M2 = Eigen::Matrix2d;

namespace {

const V2 data_mean(1.0, -0.5);
M2 data_covariance() {
  M2 c;
  c << 1.0, 0.6, 0.6, 0.5;
  return c;
}

/// Fixed starting points (a state per particle), so that the map can be applied to them outside the sampler.
V2 start_point(std::size_t i) {
  RandomStream rng(77, i);
  return V2(rng.normal(), rng.normal());
}

/// A DPM-Solver++ step written as a combination of the current state and the last denoiser outputs, all affine in
/// the starting point u0 of one eigen-direction: u = A u0 + B.
struct Affine {
  double A = 0.0, B = 0.0;
};
Affine operator+(Affine x, Affine y) { return {x.A + y.A, x.B + y.B}; }
Affine operator-(Affine x, Affine y) { return {x.A - y.A, x.B - y.B}; }
Affine operator*(double c, Affine x) { return {c * x.A, c * x.B}; }

/// The deterministic DPM-Solver++ (order 2 or 3) or Euler (order 1) map of one eigen-direction (eigenvalue ev of Σ,
/// mean component mu) over `times`, in the form of diffusers' multistep updates: D = p u + q with p = a ev/c,
/// q = σ² mu/c, c = a² ev + σ². With `exact_start`, the first order − 1 steps (which the sampler takes at lower
/// order) are replaced by the exact flow, as the multistep convergence theorems assume.
template <class Process>
Affine scheme_map(const Process& process, const std::vector<double>& times, double ev, double mu, int order,
                  bool exact_start = false, double third_weight = 2.0) {
  std::vector<Affine> m;
  Affine u{1.0, 0.0};
  auto lambda = [&](double t) { return std::log(process.mean_coefficient(t) / process.marginal_std(t)); };
  auto c_of = [&](double t) {
    return std::pow(process.mean_coefficient(t), 2) * ev + std::pow(process.marginal_std(t), 2);
  };
  for (std::size_t k = 0; k + 1 < times.size(); ++k) {
    const double a = process.mean_coefficient(times[k]), s = process.marginal_std(times[k]);
    const double an = process.mean_coefficient(times[k + 1]), sn = process.marginal_std(times[k + 1]);
    const double c = a * a * ev + s * s;
    m.push_back(Affine{a * ev / c * u.A, a * ev / c * u.B + s * s * mu / c});
    const Affine& m0 = m[k];
    if (exact_start && k + 1 < static_cast<std::size_t>(order)) {  // u(t_{k+1}) = a μ + √(c_{k+1}/c_0)(u0 − a_0 μ)
      const double A = std::sqrt(c_of(times[k + 1]) / c_of(times[0]));
      u = Affine{A, an * mu - A * process.mean_coefficient(times[0]) * mu};
      continue;
    }
    if (sn == 0.0) {
      u = an * m0;
      continue;
    }
    if (order == 1) {  // Euler on dy/dσ̃ = (y − D)/σ̃ with y = u/a: y' = D + (σ̃'/σ̃)(y − D)
      u = an * (m0 + (sn / an) / (s / a) * ((1.0 / a) * u - m0));
      continue;
    }
    const double h = lambda(times[k + 1]) - lambda(times[k]);
    const double em1 = std::expm1(-h);  // e^{−h} − 1
    Affine next = (sn / s) * u - (an * em1) * m0;
    const std::size_t previous = std::min<std::size_t>(k, static_cast<std::size_t>(order - 1));
    if (previous == 1) {
      const double r0 = (lambda(times[k]) - lambda(times[k - 1])) / h;
      const Affine d1 = (1.0 / r0) * (m0 - m[k - 1]);
      if (order == 2) next = next - (0.5 * an * em1) * d1;  // diffusers' "midpoint" second-order update
      else next = next + (an * (em1 / h + 1.0)) * d1;       // the φ₂ form of k-diffusion's 3M at its second step
    } else if (previous == 2) {
      const double r0 = (lambda(times[k]) - lambda(times[k - 1])) / h;
      const double r1 = (lambda(times[k - 1]) - lambda(times[k - 2])) / h;
      const Affine d1_0 = (1.0 / r0) * (m0 - m[k - 1]);
      const Affine d1_1 = (1.0 / r1) * (m[k - 1] - m[k - 2]);
      const Affine d1 = d1_0 + (r0 / (r0 + r1)) * (d1_0 - d1_1);
      const Affine d2 = (1.0 / (r0 + r1)) * (d1_0 - d1_1);
      // ½D''τ² integrated against e^{τ−h}: h² − 2h + 2 − 2e^{−h} = −2φ₃h², with d2 ≈ ½h²D'' (see dpm_solver.hpp).
      const double phi3 = (em1 + h) / (h * h) - 0.5;
      next = next + (an * (em1 / h + 1.0)) * d1 - (third_weight * an * phi3) * d2;
    }
    u = next;
  }
  return u;
}

/// UniPC-bh2's map of one eigen-direction, as diffusers' multistep_uni_p_bh_update / multistep_uni_c_bh_update
/// compute it (orders 1 then 2; ρ from R ρ = b, solved here with Eigen): the denoiser outputs are those of the
/// predicted states, the corrector rewrites the state before the next prediction.
template <class Process>
Affine unipc_map(const Process& process, const std::vector<double>& times, double ev, double mu) {
  std::vector<Affine> m;
  Affine u{1.0, 0.0}, last;
  auto lambda = [&](double t) { return std::log(process.mean_coefficient(t) / process.marginal_std(t)); };
  auto coefficients = [](double h, int order, double rk) {  // diffusers' R, b and ρ for B(h) = e^{−h} − 1
    const double hh = -h, B = std::expm1(hh);
    double h_phi_k = B / hh - 1.0, factorial = 1.0;
    Eigen::Vector2d b;
    for (int i = 1; i <= 2; ++i) {
      b[i - 1] = h_phi_k * factorial / B;
      factorial *= i + 1;
      h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    if (order == 1) return Eigen::Vector2d(0.5, 0.0);
    Eigen::Matrix2d R;
    R << 1.0, 1.0, rk, 1.0;
    return Eigen::Vector2d(R.lu().solve(b));
  };
  for (std::size_t k = 0; k + 1 < times.size(); ++k) {
    const double a = process.mean_coefficient(times[k]), s = process.marginal_std(times[k]);
    const double an = process.mean_coefficient(times[k + 1]), sn = process.marginal_std(times[k + 1]);
    const double c = a * a * ev + s * s;
    m.push_back(Affine{a * ev / c * u.A, a * ev / c * u.B + s * s * mu / c});
    if (k >= 1) {  // UniC with the order of the previous prediction
      const double sp = process.marginal_std(times[k - 1]);
      const double h = lambda(times[k]) - lambda(times[k - 1]), B = std::expm1(-h);
      const int order = k >= 2 ? 2 : 1;
      const double rk = order == 2 ? (lambda(times[k - 2]) - lambda(times[k - 1])) / h : 0.0;
      const Eigen::Vector2d rho = coefficients(h, order, rk);
      Affine corrected = (s / sp) * last - (a * B) * m[k - 1];
      if (order == 2)
        corrected = corrected - (a * B) * (rho[0] * ((1.0 / rk) * (m[k - 2] - m[k - 1])) + rho[1] * (m[k] - m[k - 1]));
      else corrected = corrected - (a * B * rho[0]) * (m[k] - m[k - 1]);
      u = corrected;
    }
    last = u;
    if (sn == 0.0) {
      u = an * m[k];
      continue;
    }
    const double h = lambda(times[k + 1]) - lambda(times[k]), B = std::expm1(-h);
    Affine next = (sn / s) * u - (an * B) * m[k];
    if (k >= 1) {  // UniP-2: ρ_p = ½ on D1 = (m1 − m0)/rk
      const double rk = (lambda(times[k - 1]) - lambda(times[k])) / h;
      next = next - (an * B * 0.5) * ((1.0 / rk) * (m[k - 1] - m[k]));
    }
    u = next;
  }
  return u;
}

/// The scheme's map applied to x0 in Σ's eigenbasis.
template <class Process>
V2 scheme_map(const Process& process, const std::vector<double>& times, const V2& x0, int order,
              bool exact_start = false, double third_weight = 2.0) {
  Eigen::SelfAdjointEigenSolver<M2> eig(data_covariance());
  const V2 u0 = eig.eigenvectors().transpose() * x0;
  const V2 mu = eig.eigenvectors().transpose() * data_mean;
  V2 u;
  for (int e = 0; e < 2; ++e) {
    const Affine map = order == 0
                           ? unipc_map(process, times, eig.eigenvalues()[e], mu[e])
                           : scheme_map(process, times, eig.eigenvalues()[e], mu[e], order, exact_start, third_weight);
    u[e] = map.A * u0[e] + map.B;
  }
  return eig.eigenvectors() * u;
}

/// A batched version of a per-particle score, written the way a network wrapper would be: one call per block.
template <class Score>
struct Batched {
  Score score;
  std::shared_ptr<std::size_t> calls = std::make_shared<std::size_t>(0);
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
#pragma omp atomic
    ++*calls;
    Eigen::MatrixXd out(x.rows(), x.cols());
    for (Eigen::Index j = 0; j < x.cols(); ++j) out.col(j) = score(V2(x.col(j)), t[j]);
    return out;
  }
};

}  // namespace

TEST_CASE("convert_prediction: score, denoiser, noise and velocity convert to each other by their definitions") {
  const double a = 0.8, sigma = 0.45;  // deliberately a² + σ² ≠ 1: the conversions must not assume VP
  const V2 x0(0.3, -1.2), eps(-0.7, 0.4);
  const V2 x = a * x0 + sigma * eps;
  const V2 values[4] = {-eps / sigma, x0, eps, a * eps - sigma * x0};
  const Prediction kinds[4] = {Prediction::score, Prediction::denoiser, Prediction::noise, Prediction::velocity};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const Eigen::MatrixXd y = convert_prediction(kinds[i], kinds[j], x, values[i], a, sigma);
      INFO("from " << i << " to " << j);
      CHECK((y - values[j]).cwiseAbs().maxCoeff() < 1e-14);
      CHECK(std::abs(convert_prediction(kinds[i], kinds[j], x[0], values[i][0], a, sigma) - values[j][0]) < 1e-14);
    }
  // A model predicting x0 exactly (the Gaussian's denoiser) gives back the exact score through score_from_prediction.
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> score(vp, data_mean, data_covariance());
  auto denoiser = [&](const V2& y, double t) {
    return V2((y + std::pow(vp.marginal_std(t), 2) * score(y, t)) / vp.mean_coefficient(t));
  };
  const auto from_x0 = score_from_prediction<V2>(Prediction::denoiser, denoiser, vp);
  Eigen::MatrixXd pts(2, 3);
  pts << 0.1, 2.0, -1.0, 0.5, -0.3, 1.5;
  const Eigen::VectorXd t = (Eigen::VectorXd(3) << 0.1, 0.5, 0.9).finished();
  const Eigen::MatrixXd s = from_x0(pts, t);
  for (int j = 0; j < 3; ++j) CHECK((s.col(j) - score(V2(pts.col(j)), t[j])).norm() < 1e-12);
}

TEST_CASE("classifier-free guidance is s_u + w (s_c - s_u), per particle and batched") {
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> uncond(vp, V2(0, 0), M2::Identity());
  const GaussianScore<VpSde<>, 2> cond(vp, data_mean, data_covariance());
  const auto guided = classifier_free_guidance(uncond, cond, 3.0);
  static_assert(BatchedScore<decltype(guided)>);
  static_assert(!BatchedScore<GaussianScore<VpSde<>, 2>>);
  const V2 x(0.4, -0.9);
  const V2 expected = uncond(x, 0.3) + 3.0 * (cond(x, 0.3) - uncond(x, 0.3));
  CHECK((guided(x, 0.3) - expected).norm() < 1e-13);
  const Eigen::MatrixXd b = guided(Eigen::MatrixXd(x), Eigen::VectorXd::Constant(1, 0.3));
  CHECK((b.col(0) - expected).norm() < 1e-13);
  check_throws_naming([&] { classifier_free_guidance(uncond, cond, NAN); }, "weight");
  // Usable with the older, per-particle samplers too.
  ReverseSampleOptions o;
  o.particles = 4;
  o.steps = 5;
  CHECK(sample_reverse_sde(vp, classifier_free_guidance(uncond, cond, 1.0), vp.prior_sampler<V2>(), o)
            .ensemble.failures.empty());
}

/// A batched model that cannot be copied (as a network handle may not be): the samplers must only borrow it.
struct NonCopyableModel {
  GaussianScore<VpSde<>, 2> score{VpSde<>(), data_mean, data_covariance()};
  NonCopyableModel() = default;
  NonCopyableModel(const NonCopyableModel&) = delete;
  Eigen::MatrixXd operator()(const Eigen::MatrixXd& x, const Eigen::VectorXd& t) const {
    Eigen::MatrixXd out(x.rows(), x.cols());
    for (Eigen::Index j = 0; j < x.cols(); ++j) out.col(j) = score(V2(x.col(j)), t[j]);
    return out;
  }
};

TEST_CASE("the samplers borrow the score: a non-copyable batched model works, and guidance combines it") {
  const VpSde<> vp;
  const NonCopyableModel model;
  const auto times = logsnr_uniform_times(vp, 1.0, 1e-3, 8);
  ReverseSampleOptions o;
  o.particles = 10;
  const auto direct = sample_dpm_solver(vp, model, vp.prior_sampler<V2>(), times, o);
  const auto per_particle = sample_dpm_solver(vp, model.score, vp.prior_sampler<V2>(), times, o);
  CHECK(direct.samples() == per_particle.samples());
  CHECK(sample_unipc(vp, model, vp.prior_sampler<V2>(), times, o).ensemble.failures.empty());
  CHECK(sample_euler_ancestral(vp, model, vp.prior_sampler<V2>(), times, o).ensemble.failures.empty());
}

TEST_CASE("Gaussian data: deterministic samplers equal the closed-form affine map of their discrete scheme") {
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> vp_score(vp, data_mean, data_covariance());
  const GaussianScore<SigmaProcess, 2> edm_score(SigmaProcess{}, data_mean, data_covariance());
  ReverseSampleOptions o;
  o.particles = 16;
  auto x_T = [](std::size_t i, RandomStream&) { return start_point(i); };
  struct Case {
    std::string name;
    int order;  // 2, 3: DPM-Solver++; 1: Euler; 0: UniPC
    bool edm;
    std::vector<double> times;
  };
  const std::vector<Case> cases{
      {"2M logSNR VP", 2, false, logsnr_uniform_times(vp, 1.0, 1e-3, 12)},
      {"3M logSNR VP", 3, false, logsnr_uniform_times(vp, 1.0, 1e-3, 12)},
      {"2M Karras VP", 2, false, karras_times(vp, 1.0, 1e-3, 12)},
      {"3M Karras VP", 3, false, karras_times(vp, 1.0, 1e-3, 12)},
      {"2M Karras EDM", 2, true, karras_sigmas(10)},
      {"3M Karras EDM", 3, true, karras_sigmas(10)},
      {"Euler (ancestral, eta 0) EDM", 1, true, karras_sigmas(10)},
      {"UniPC logSNR VP", 0, false, logsnr_uniform_times(vp, 1.0, 1e-3, 12)},
      {"UniPC Karras VP", 0, false, karras_times(vp, 1.0, 1e-3, 12)},
      {"UniPC Karras EDM", 0, true, karras_sigmas(10)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    DiffusionSamples<V2> run;
    if (c.order == 1) run = sample_euler_ancestral(SigmaProcess{}, edm_score, x_T, c.times, o, 0.0);
    else if (c.order == 0 && c.edm) run = sample_unipc(SigmaProcess{}, edm_score, x_T, c.times, o);
    else if (c.order == 0) run = sample_unipc(vp, vp_score, x_T, c.times, o);
    else if (c.edm) run = sample_dpm_solver(SigmaProcess{}, edm_score, x_T, c.times, o, {.order = c.order});
    else run = sample_dpm_solver(vp, vp_score, x_T, c.times, o, {.order = c.order});
    CHECK(run.score_evaluations == o.particles * (c.times.size() - 1));
    double worst = 0.0;
    for (std::size_t i = 0; i < o.particles; ++i) {
      const V2 expected = c.edm ? scheme_map(SigmaProcess{}, c.times, start_point(i), c.order)
                                : scheme_map(vp, c.times, start_point(i), c.order);
      worst = std::max(worst, (run.samples().col(static_cast<Eigen::Index>(i)) - expected).cwiseAbs().maxCoeff());
    }
    INFO("largest difference " << worst);
    CHECK(worst < 1e-10);
  }
}

TEST_CASE("Gaussian data: the error against the exact probability-flow map falls at the published order") {
  // The sampler equals the scheme's affine map (checked again here), so the order is measured on that map: as the
  // sampler runs it (lower order on the first steps, like k-diffusion and diffusers), and with the exact flow over
  // those start-up steps (what the convergence theorems assume). The k-diffusion form of 3M (halved third-order
  // term) is the wrong variant that must land near 2, showing that the brackets have power.
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> score(vp, data_mean, data_covariance());
  ReverseSampleOptions o;
  o.particles = 8;
  auto x_T = [](std::size_t i, RandomStream&) { return V2(3.0 * start_point(i)); };
  struct Row {
    std::string name;
    int order;
    bool karras;
    bool exact_start;
    bool halved;       // DpmSolverSettings::halved_third_order_term
    double low, high;  // bracket of the fitted slope of log(error) against log(steps)
  };
  // The brackets exclude the neighbouring orders: 2M with its correction removed (DPM-Solver++ 1, slope 1) or a 3M
  // that fell back to second order would fail.
  // On the logSNR grid (uniform in λ) 3M does better than 3 on this linear problem: its bracket excludes 2 only.
  const std::vector<Row> rows{{"2M, logSNR grid", 2, false, false, false, 1.8, 2.25},
                              {"3M, logSNR grid", 3, false, false, false, 2.75, 4.5},
                              {"2M, Karras grid", 2, true, false, false, 1.8, 2.25},
                              {"3M, Karras grid", 3, true, false, false, 2.75, 3.5},
                              {"3M, logSNR grid, exact start-up", 3, false, true, false, 2.75, 4.5},
                              {"3M, Karras grid, exact start-up", 3, true, true, false, 2.75, 3.5},
                              {"k-diffusion's 3M (halved term), logSNR grid", 3, false, false, true, 1.8, 2.5},
                              {"k-diffusion's 3M (halved term), Karras grid", 3, true, false, true, 1.4, 2.5}};
  const std::vector<std::size_t> steps{20, 40, 80, 160};
  for (const Row& r : rows) {
    std::vector<double> lx, ly;
    for (std::size_t n : steps) {
      const auto times = r.karras ? karras_times(vp, 1.0, 1e-3, n) : logsnr_uniform_times(vp, 1.0, 1e-3, n);
      const auto run =
          sample_dpm_solver(vp, score, x_T, times, o, {.order = r.order, .halved_third_order_term = r.halved});
      double err = 0.0;
      for (std::size_t i = 0; i < o.particles; ++i) {
        const V2 x0 = 3.0 * start_point(i);
        const V2 exact = score.flow_map(x0, 1.0, 1e-3);
        const V2 scheme = scheme_map(vp, times, x0, r.order, r.exact_start, r.halved ? 1.0 : 2.0);
        if (!r.exact_start) CHECK((scheme - run.samples().col(static_cast<Eigen::Index>(i))).norm() < 1e-10);
        err = std::max(err, (scheme - exact).norm());
      }
      lx.push_back(std::log(double(n)));
      ly.push_back(std::log(err));
    }
    const double mx = (lx[0] + lx[1] + lx[2] + lx[3]) / 4, my = (ly[0] + ly[1] + ly[2] + ly[3]) / 4;
    double sxy = 0, sxx = 0;
    for (int i = 0; i < 4; ++i) {
      sxy += (lx[i] - mx) * (ly[i] - my);
      sxx += (lx[i] - mx) * (lx[i] - mx);
    }
    const double slope = -sxy / sxx;
    MESSAGE(r.name << ": slope " << slope << ", errors at 20/40/80/160 steps " << std::exp(ly[0]) << " "
                   << std::exp(ly[1]) << " " << std::exp(ly[2]) << " " << std::exp(ly[3]));
    CHECK(slope > r.low);
    CHECK(slope < r.high);
  }
}

TEST_CASE("UniPC-bh2 (UniP-2 + UniC): the error against the exact probability-flow map falls at order 3") {
  // UniP-2 alone is DPM-Solver++ 2M (order 2); the corrector, which reuses the next score call, adds one order. The
  // brackets exclude 2, so a corrector that is ignored or wrongly weighted fails.
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> score(vp, data_mean, data_covariance());
  ReverseSampleOptions o;
  o.particles = 8;
  auto x_T = [](std::size_t i, RandomStream&) { return V2(3.0 * start_point(i)); };
  for (bool karras : {false, true}) {
    std::vector<double> lx, ly;
    for (std::size_t n : {20, 40, 80, 160}) {
      const auto times = karras ? karras_times(vp, 1.0, 1e-3, n) : logsnr_uniform_times(vp, 1.0, 1e-3, n);
      const auto run = sample_unipc(vp, score, x_T, times, o);
      CHECK(run.score_evaluations == o.particles * n);
      double err = 0.0;
      for (std::size_t i = 0; i < o.particles; ++i)
        err = std::max(
            err, (run.samples().col(static_cast<Eigen::Index>(i)) - score.flow_map(V2(3.0 * start_point(i)), 1.0, 1e-3))
                     .norm());
      lx.push_back(std::log(double(n)));
      ly.push_back(std::log(err));
    }
    const double mx = (lx[0] + lx[1] + lx[2] + lx[3]) / 4, my = (ly[0] + ly[1] + ly[2] + ly[3]) / 4;
    double sxy = 0, sxx = 0;
    for (int i = 0; i < 4; ++i) {
      sxy += (lx[i] - mx) * (ly[i] - my);
      sxx += (lx[i] - mx) * (lx[i] - mx);
    }
    const double slope = -sxy / sxx;
    MESSAGE("UniPC " << (karras ? "Karras" : "logSNR") << " grid: slope " << slope << ", errors at 20/40/80/160 steps "
                     << std::exp(ly[0]) << " " << std::exp(ly[1]) << " " << std::exp(ly[2]) << " " << std::exp(ly[3]));
    CHECK(slope > 2.6);
    CHECK(slope < 4.5);
  }
}

TEST_CASE("a 1-D Gaussian mixture: the stochastic samplers give its mode masses, mean and variance within 4.5 SE") {
  using M1 = Eigen::Matrix<double, 1, 1>;
  const std::vector<double> w{0.2, 0.5, 0.3};
  const std::vector<double> mu{-4.0, 0.0, 3.0}, sd{0.5, 0.7, 0.4};
  std::vector<M1> means, covs;
  for (std::size_t k = 0; k < 3; ++k) {
    means.push_back(M1(mu[k]));
    covs.push_back(M1(sd[k] * sd[k]));
  }
  const VpSde<> vp;
  const GaussianMixtureScore<VpSde<>, 1> vp_score(vp, w, means, covs);
  const GaussianMixtureScore<SigmaProcess, 1> edm_score(SigmaProcess{}, w, means, covs);
  ReverseSampleOptions o;
  o.particles = sdekit_test::scaled(40000, 8000);  // SDEKIT_TEST_SCALE (sanitizer CI); tolerances are in SE
  o.seed = 5;
  // The law of the output: the data blurred to time `t_end` (a_t m_k, a_t² s_k² + σ_t² per component).
  auto check = [&](const DiffusionSamples<double>& run, double a, double sigma, const std::string& label) {
    const std::vector<double> x = run.ensemble.component_values(run.ensemble.values.size() - 1);
    const double n = double(x.size());
    REQUIRE(x.size() == o.particles);
    double mean = 0, var = 0, m4 = 0, mean_x = 0;
    for (std::size_t k = 0; k < 3; ++k) mean += w[k] * a * mu[k];
    for (std::size_t k = 0; k < 3; ++k) {
      const double d = a * mu[k] - mean, s2 = a * a * sd[k] * sd[k] + sigma * sigma;
      var += w[k] * (d * d + s2);
      m4 += w[k] * (d * d * d * d + 6 * d * d * s2 + 3 * s2 * s2);
    }
    for (double v : x) mean_x += v / n;
    double var_x = 0;
    for (double v : x) var_x += (v - mean_x) * (v - mean_x) / (n - 1);
    INFO(label << ": mean " << mean_x << " vs " << mean << ", variance " << var_x << " vs " << var);
    CHECK(std::abs(mean_x - mean) < 4.5 * std::sqrt(var / n));
    CHECK(std::abs(var_x - var) < 4.5 * std::sqrt((m4 - var * var) / n));
    const double cuts[2] = {-2.2 * a, 1.8 * a};
    double counts[3] = {0, 0, 0};
    for (double v : x) counts[v < cuts[0] ? 0 : (v < cuts[1] ? 1 : 2)] += 1;
    for (std::size_t k = 0; k < 3; ++k) {
      INFO(label << ": mode " << k << " mass " << counts[k] / n << " vs " << w[k]);
      CHECK(std::abs(counts[k] / n - w[k]) < 4.5 * std::sqrt(w[k] * (1 - w[k]) / n));
    }
  };
  const double eps = 1e-3;
  const auto vp_times = logsnr_uniform_times(vp, 1.0, eps, 100);
  const auto prior = vp.prior_sampler<double>();
  check(sample_dpm_solver(vp, vp_score, prior, vp_times, o, {.order = 2, .eta = 1.0}), vp.mean_coefficient(eps),
        vp.marginal_std(eps), "DPM-Solver++ 2M SDE");
  check(sample_dpm_solver(vp, vp_score, prior, vp_times, o, {.order = 3, .eta = 1.0}), vp.mean_coefficient(eps),
        vp.marginal_std(eps), "DPM-Solver++ 3M SDE");
  auto edm_prior = [](std::size_t, RandomStream& rng) { return 80.0 * rng.normal(); };
  // Euler ancestral is of weak order 1: its variance bias, −0.30 at 100 steps and −0.16 at 200 (5 SE at 40000
  // samples), halves with the step; 800 steps leave ~1 SE.
  check(sample_euler_ancestral(SigmaProcess{}, edm_score, edm_prior, karras_sigmas(800), o), 1.0, 0.0,
        "Euler ancestral (EDM)");
}

TEST_CASE("bitwise the same for 1 and 2 threads, block sizes 1, 7 and 256, per-particle or batched scores") {
  const VpSde<> vp;
  const std::vector<double> w{0.3, 0.7};
  const std::vector<V2> means{V2(-2, 0), V2(2, 1)};
  const std::vector<M2> covs{0.3 * M2::Identity(), 0.5 * M2::Identity()};
  const GaussianMixtureScore<VpSde<>, 2> score(vp, w, means, covs);
  const Batched<GaussianMixtureScore<VpSde<>, 2>> batched{score};
  const auto times = logsnr_uniform_times(vp, 1.0, 1e-3, 15);
  const auto prior = vp.prior_sampler<V2>();
  using Run = std::function<DiffusionSamples<V2>(const ReverseSampleOptions&, bool)>;
  const std::vector<std::pair<std::string, Run>> samplers{
      {"2M",
       [&](const ReverseSampleOptions& o, bool b) {
         return b ? sample_dpm_solver(vp, batched, prior, times, o) : sample_dpm_solver(vp, score, prior, times, o);
       }},
      {"3M SDE",
       [&](const ReverseSampleOptions& o, bool b) {
         const DpmSolverSettings s{.order = 3, .eta = 1.0};
         return b ? sample_dpm_solver(vp, batched, prior, times, o, s)
                  : sample_dpm_solver(vp, score, prior, times, o, s);
       }},
      {"UniPC",
       [&](const ReverseSampleOptions& o, bool b) {
         return b ? sample_unipc(vp, batched, prior, times, o) : sample_unipc(vp, score, prior, times, o);
       }},
      {"Euler ancestral", [&](const ReverseSampleOptions& o, bool b) {
         return b ? sample_euler_ancestral(vp, batched, prior, times, o)
                  : sample_euler_ancestral(vp, score, prior, times, o);
       }}};
  for (const auto& [name, run] : samplers) {
    ReverseSampleOptions o;
    o.particles = 300;
    o.seed = 9;
    o.threads = 1;
    o.block_size = 256;
    const DiffusionSamples<V2> reference = run(o, false);
    for (int threads : {1, 2})
      for (std::size_t block : {1, 7, 256})
        for (bool b : {false, true}) {
          o.threads = threads;
          o.block_size = block;
          const auto calls_before = *batched.calls;
          const DiffusionSamples<V2> r = run(o, b);
          INFO(name << ": threads " << threads << ", block " << block << (b ? ", batched" : ", per particle"));
          CHECK(r.samples() == reference.samples());
          CHECK(r.score_evaluations == 300 * 15);
          // One batched call per block and step: the point of the interface.
          if (b) CHECK(*batched.calls - calls_before == ((300 + block - 1) / block) * 15);
        }
    // Statistics-only runs (no stored states) see the same particles: the same statistics, bit for bit.
    o.statistics.storage = Storage::statistics_only;
    const DiffusionSamples<V2> streamed = run(o, true);
    CHECK(streamed.ensemble.statistics_only);
    CHECK(streamed.statistics().mean == reference.statistics().mean);
    CHECK(streamed.statistics().covariance == reference.statistics().covariance);
  }
}

TEST_CASE("bad input: errors name the argument; non-finite scores fail only their particles") {
  const VpSde<> vp;
  const GaussianScore<VpSde<>, 2> score(vp, data_mean, data_covariance());
  const auto prior = vp.prior_sampler<V2>();
  const auto times = logsnr_uniform_times(vp, 1.0, 1e-3, 10);
  ReverseSampleOptions o;
  o.particles = 20;
  check_throws_naming([&] { sample_dpm_solver(vp, score, prior, times, o, {.order = 4}); }, "order");
  check_throws_naming([&] { sample_dpm_solver(vp, score, prior, times, o, {.eta = -1}); }, "eta");
  check_throws_naming([&] { sample_euler_ancestral(vp, score, prior, times, o, 2.0); }, "eta");
  check_throws_naming([&] { sample_dpm_solver(vp, score, prior, std::vector<double>{0.5, 0.9}, o); }, "times[1]");
  check_throws_naming([&] { sample_dpm_solver(vp, score, prior, std::vector<double>{0.5}, o); }, "times.size()");
  // VP's σ_0 = 0 is allowed as the last time: the last step is then the denoiser itself.
  CHECK(sample_dpm_solver(vp, score, prior, std::vector<double>{1.0, 0.5, 0.0}, o).ensemble.failures.empty());
  check_throws_naming([&] { sample_dpm_solver(vp, score, prior, std::vector<double>{0.0, -1.0}, o); }, "times[");
  check_throws_naming([&] { logsnr_uniform_times(vp, 1.0, 0.0, 10); }, "t_min");
  check_throws_naming([&] { karras_times(vp, 1.0, 1e-3, 0); }, "steps");
  check_throws_naming([&] { karras_times(vp, 1.0, 1e-3, 10, -1.0); }, "rho");
  // A score that is NaN for particles whose first coordinate is negative: those fail, the others finish.
  auto sometimes_nan = [&](const V2& x, double t) { return x[0] < 0 ? V2(NAN, 0) : score(x, t); };
  const auto run = sample_dpm_solver(vp, sometimes_nan, prior, times, o);
  CHECK(!run.ensemble.failures.empty());
  CHECK(run.ensemble.failures.size() < o.particles);
  CHECK(sdekit_test::contains(run.ensemble.failures[0].reason, "score s(x, t) must be finite"));
  // A batched score returning the wrong shape fails the block's particles with a message naming it.
  auto wrong_shape = [](const Eigen::MatrixXd& x, const Eigen::VectorXd&) { return Eigen::MatrixXd(x.rows() + 1, 1); };
  const auto bad = sample_dpm_solver(vp, wrong_shape, prior, times, o);
  CHECK(bad.ensemble.failures.size() == o.particles);
  CHECK(sdekit_test::contains(bad.ensemble.failures[0].reason, "score(X, t).rows()"));
}
