// Quality per cost of diffusion samplers, as people choose them: a 2-D Gaussian mixture of six modes is sampled
// with its exact score by every sampler at 5 … 100 steps; the table reports score evaluations per sample and
// the distance (sliced W2, energy distance) to exact samples of the mixture. The default 4000 samples put the
// noise floor (the "exact vs exact" row) well below the discretisation error up to ~20 steps, where samplers differ.
//   usage: diffusion_quality [samples=4000] [seed=1]
// Writes diffusion_quality.csv (the table, with timings), diffusion_quality_table.txt (the table without timings,
// quoted by docs/diffusion-models.md), diffusion_quality_samples.csv, diffusion_quality_steps.csv and, with
// gnuplot, diffusion_quality.png (samples at 20 steps) and diffusion_quality_steps.png (quality against steps).
#include <sdekit/diffusion/ddpm.hpp>
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/samplers.hpp>
#include <sdekit/diffusion/scores.hpp>
#include <sdekit/ensemble/progress_bar.hpp>
#include <sdekit/ensemble/sample_distance.hpp>

#include "gnuplot.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace sdekit;
using V2 = Eigen::Vector2d;
using M2 = Eigen::Matrix2d;

namespace {

struct Mixture {
  std::vector<double> weights{0.25, 0.1, 0.2, 0.05, 0.15, 0.25};
  std::vector<V2> means;
  std::vector<M2> covariances;
  Mixture() {
    for (int k = 0; k < 6; ++k) {
      const double angle = 2 * M_PI * k / 6;
      means.push_back(V2(4 * std::cos(angle), 4 * std::sin(angle)));
      M2 c;
      const double s = 0.15 + 0.05 * k;  // different spreads and orientations
      c << s, 0.5 * s * std::cos(angle), 0.5 * s * std::cos(angle), s;
      covariances.push_back(c);
    }
  }
  template <class Process>
  GaussianMixtureScore<Process, 2> score(const Process& p) const {
    return GaussianMixtureScore<Process, 2>(p, weights, means, covariances);
  }
};

struct Row {
  std::string sampler;
  std::size_t steps;  // 0: adaptive
  double evaluations_per_sample;
  double sliced_w2;
  double energy;
  double seconds;
};

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 4000;
  const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 1;
  const Mixture mix;
  //[ usage
  const VpSde<> vp;
  const VeSde ve(0.01, 10.0);  // σ_max 10 exceeds the data's diameter, as VE needs
  const DdpmSchedule ddpm = linear_beta_schedule();
  const auto vp_score = mix.score(vp);
  const auto ve_score = mix.score(ve);
  const auto ddpm_eps = noise_predictor_from_score(mix.score(ddpm), ddpm);
  const auto edm_score = mix.score(SigmaProcess{});
  //]

  // Exact samples of the data (their own seed), and a second exact set: the distance floor at this n.
  Eigen::MatrixXd exact(2, static_cast<Eigen::Index>(n)), exact2(2, static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    RandomStream r1(seed + 1000, i), r2(seed + 2000, i);
    exact.col(static_cast<Eigen::Index>(i)) = vp_score.sample_data(r1);
    exact2.col(static_cast<Eigen::Index>(i)) = vp_score.sample_data(r2);
  }
  std::printf("diffusion_quality: 2-D mixture of 6 Gaussians, %zu samples per run (argument 1), seed %llu\n", n,
              static_cast<unsigned long long>(seed));

  //[ usage
  const std::vector<std::size_t> step_counts{5, 10, 20, 50, 100};
  //]
  const std::vector<double> tolerances{1e-2, 1e-3, 1e-4, 1e-5, 1e-6};
  const double total_runs = static_cast<double>(8 * step_counts.size() + tolerances.size());
  const ProgressBar progress("samplers");
  std::vector<Row> rows;
  std::vector<std::pair<std::string, Eigen::MatrixXd>> pictures;
  auto record = [&](const std::string& name, std::size_t steps, auto run) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = run();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rows.push_back({name, steps, double(result.score_evaluations) / double(n),
                    sliced_wasserstein(result.samples(), exact, 128, 3), energy_distance(result.samples(), exact),
                    seconds});
    if (steps == 20 || (steps == 0 && name.find("tol 1e-03") != std::string::npos))
      pictures.emplace_back(name + (steps ? " " + std::to_string(steps) + " steps" : ""), result.samples());
    progress(static_cast<double>(rows.size()) / total_runs);
  };
  //[ usage
  ReverseSampleOptions o;
  o.particles = n;
  o.seed = seed;
  o.epsilon = 1e-3;
  //]
  const auto vp_prior = vp.prior_sampler<V2>();
  const auto ve_prior = ve.prior_sampler<V2>();
  auto edm_prior = [](std::size_t, RandomStream& rng) { return V2(80 * rng.normal(), 80 * rng.normal()); };
  auto unit_prior = [](std::size_t, RandomStream& rng) { return V2(rng.normal(), rng.normal()); };
  //[ usage
  for (std::size_t steps : step_counts) {
    o.steps = steps;
    record("VP reverse SDE (EM)", steps, [&] { return sample_reverse_sde(vp, vp_score, vp_prior, o); });
    record("VE reverse SDE (EM)", steps, [&] { return sample_reverse_sde(ve, ve_score, ve_prior, o); });
    record("VP ancestral", steps, [&] {
      return sample_predictor_corrector(vp, vp_score, vp_prior, o,
                                        {.predictor = Predictor::ancestral, .corrector = Corrector::none});
    });
    record("VP PC (rev.diff.+Langevin)", steps, [&] { return sample_predictor_corrector(vp, vp_score, vp_prior, o); });
    record("VE PC (rev.diff.+Langevin)", steps, [&] { return sample_predictor_corrector(ve, ve_score, ve_prior, o); });
    record("DDPM (beta-tilde)", steps, [&] { return sample_ddpm(ddpm, ddpm_eps, unit_prior, o); });
    record("DDIM eta=0", steps, [&] { return sample_ddim(ddpm, ddpm_eps, unit_prior, o, 0.0); });
    record("EDM Heun", steps, [&] { return sample_edm_heun(edm_score, edm_prior, karras_sigmas(steps), o); });
  }
  //]
  o.steps = 1;
  for (double tol : tolerances) {
    char name[64];
    std::snprintf(name, sizeof name, "VP PF-ODE dopri5 tol %.0e", tol);
    record(name, 0, [&] { return sample_probability_flow(vp, vp_score, vp_prior, o, {.rtol = tol, .atol = tol}); });
  }
  pictures.emplace_back("data (exact samples)", exact);

  const double floor_w2 = sliced_wasserstein(exact2, exact, 128, 3), floor_energy = energy_distance(exact2, exact);
  std::printf("\n%-28s %6s %10s %10s %10s %8s\n", "sampler", "steps", "evals/smp", "sliced W2", "energy", "seconds");
  std::printf("%-28s %6s %10s %10.4f %10.4f %8s\n", "exact vs exact (floor)", "-", "-", floor_w2, floor_energy, "-");
  // The same table without the timings (which depend on the machine): docs/diffusion-models.md quotes this file.
  std::FILE* table = std::fopen("diffusion_quality_table.txt", "w");
  std::fprintf(table, "%-28s %6s %10s %10s %10s\n", "sampler", "steps", "evals/smp", "sliced W2", "energy");
  std::fprintf(table, "%-28s %6s %10s %10.4f %10.4f\n", "exact vs exact (floor)", "-", "-", floor_w2, floor_energy);
  std::ofstream csv("diffusion_quality.csv");
  csv << "sampler,steps,evaluations_per_sample,sliced_w2,energy_distance,seconds\n";
  for (const Row& r : rows) {
    const std::string steps = r.steps ? std::to_string(r.steps) : "adapt";
    std::printf("%-28s %6s %10.1f %10.4f %10.4f %8.3f\n", r.sampler.c_str(), steps.c_str(), r.evaluations_per_sample,
                r.sliced_w2, r.energy, r.seconds);
    std::fprintf(table, "%-28s %6s %10.1f %10.4f %10.4f\n", r.sampler.c_str(), steps.c_str(), r.evaluations_per_sample,
                 r.sliced_w2, r.energy);
    csv << '"' << r.sampler << "\"," << r.steps << ',' << r.evaluations_per_sample << ',' << r.sliced_w2 << ','
        << r.energy << ',' << r.seconds << '\n';
  }
  std::fclose(table);
  // Quality against steps, one gnuplot data block per fixed-step sampler (rows come in sampler order per step).
  std::ofstream by_steps("diffusion_quality_steps.csv");
  by_steps << "steps,evaluations_per_sample,sliced_w2,energy_distance\n";
  const std::size_t samplers = 8;
  for (std::size_t s = 0; s < samplers; ++s) {
    by_steps << "# " << rows[s].sampler << '\n';
    for (std::size_t k = 0; k < step_counts.size(); ++k) {
      const Row& r = rows[k * samplers + s];
      by_steps << r.steps << ',' << r.evaluations_per_sample << ',' << r.sliced_w2 << ',' << r.energy << '\n';
    }
    by_steps << "\n\n";
  }
  by_steps.close();
  std::ofstream samples("diffusion_quality_samples.csv");
  samples << "panel,x,y\n";
  for (std::size_t p = 0; p < pictures.size(); ++p)
    for (Eigen::Index j = 0; j < pictures[p].second.cols(); ++j)
      if (!pictures[p].second.col(j).hasNaN())
        samples << p << ',' << pictures[p].second(0, j) << ',' << pictures[p].second(1, j) << '\n';
  samples.close();
  std::printf(
      "\nwrote diffusion_quality.csv, diffusion_quality_table.txt, diffusion_quality_samples.csv and "
      "diffusion_quality_steps.csv\n");
  std::string steps_plot = "set title 'Energy distance to exact samples against steps (" + std::to_string(n) +
                           " samples; dashed: the floor of two exact sets)'\n"
                           "set logscale xy\nset xlabel 'steps'\nset ylabel 'energy distance'\nset key outside right\n"
                           "set datafile separator ','\nset yrange [1e-4:*]\n"
                           "floor = " +
                           std::to_string(std::max(floor_energy, 1e-4)) + "\nplot ";
  for (std::size_t s = 0; s < samplers; ++s)
    steps_plot += "'diffusion_quality_steps.csv' index " + std::to_string(s) +
                  " using 1:($4 > 1e-4 ? $4 : 1e-4) with linespoints lw 2 title '" + rows[s].sampler + "', ";
  steps_plot += "floor with lines dt 2 lc rgb 'black' title 'floor'\n";
  sdekit_examples::draw_with_gnuplot("diffusion_quality_steps.gp", "diffusion_quality_steps.png", steps_plot,
                                     "1200,600");

  std::ostringstream gp;
  gp << "set datafile separator ','\n"
     << "set multiplot layout 2," << (pictures.size() + 1) / 2
     << " title 'samples at 20 steps (PF-ODE at tol 1e-3) next to the data'\n"
     << "set xrange [-7:7]\nset yrange [-7:7]\nset size ratio -1\nunset key\n";
  for (std::size_t p = 0; p < pictures.size(); ++p)
    gp << "set title '" << pictures[p].first << "'\nplot 'diffusion_quality_samples.csv' every ::1 using ($1==" << p
       << "?$2:1/0):3 with points pt 7 ps 0.2 lc rgb '" << (p + 1 == pictures.size() ? "black" : "royalblue") << "'\n";
  gp << "unset multiplot\n";
  sdekit_examples::draw_with_gnuplot("diffusion_quality.gp", "diffusion_quality.png", gp.str(), "1600,800");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "diffusion_quality: %s\n", e.what());
  return 1;
}
