// A real score network through sdekit's batched samplers: trains a small MLP denoiser with LibTorch on a ring of
// eight Gaussians (noise prediction over EDM's noise levels, Karras et al. 2022), saves it, loads it back and samples
// it with every fast sampler at 10, 20 and 50 score evaluations per sample, one network forward per block of particles.
// Quality is the energy distance and the sliced W2 to held-out data; the floor is the distance between two held-out
// sets of the same size. Fails (exit status 1) unless the best sampler at 50 evaluations has a sliced W2 below
// 2 times the floor's and an energy distance 100 times below the untrained network's samples: a network trained
// for a few hundred steps only fails it. (The energy distance is the unbiased estimate, which can be negative near
// the floor, so the floor test uses the sliced W2.)
//   usage: torch_score_network [train_steps=2000] [samples=1000] [seed=1] [torch_threads=1]
// Writes torch_score_network.pt (the network), torch_score_network.csv (the quality table) and
// torch_score_network.png (data next to samples; gnuplot).
#include <sdekit/diffusion/batched.hpp>
#include <sdekit/diffusion/ddpm.hpp>
#include <sdekit/diffusion/dpm_solver.hpp>
#include <sdekit/diffusion/euler_ancestral.hpp>
#include <sdekit/diffusion/forward.hpp>
#include <sdekit/diffusion/schedules.hpp>
#include <sdekit/diffusion/torch/torch_model.hpp>
#include <sdekit/diffusion/unipc.hpp>
#include <sdekit/ensemble/sample_distance.hpp>

#include "gnuplot.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

using namespace sdekit;
using V2 = Eigen::Vector2d;

namespace {

constexpr double ring_radius = 2.0;
constexpr double mode_std = 0.15;

/// n points of the ring of eight equal Gaussians (radius 2, std 0.15), particle i drawn from stream (seed, i).
Eigen::MatrixXd ring_of_gaussians(std::size_t n, std::uint64_t seed) {
  Eigen::MatrixXd x(2, static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    RandomStream rng(seed, i);
    const double angle = 2 * M_PI * std::floor(8 * rng.uniform()) / 8;
    x.col(static_cast<Eigen::Index>(i)) = V2(ring_radius * std::cos(angle) + mode_std * rng.normal(),
                                             ring_radius * std::sin(angle) + mode_std * rng.normal());
  }
  return x;
}

//[ torch_network
/// The denoiser D(x; σ) ≈ E[x0 | x0 + σz = x] through a noise predictor: D = x − σ ε̂(c_in x, ln σ / 4), with
/// c_in = 1/√(σ² + σ_d²) and ε̂ an MLP (three hidden layers of 128 SiLU units) fed the scaled state and Fourier
/// features of the noise level. (EDM's D = c_skip x + c_out F makes F = 0 the best linear denoiser, a flat start
/// that a small network leaves only after many more steps than this example can afford.) Rows are independent (no
/// batch statistics), as a batched score must be.
struct DenoiserImpl : torch::nn::Module {
  explicit DenoiserImpl(double sigma_data, int width = 128)
      : input(register_module("input", torch::nn::Linear(2 + 2 * 8, width))),
        hidden1(register_module("hidden1", torch::nn::Linear(width, width))),
        hidden2(register_module("hidden2", torch::nn::Linear(width, width))),
        output(register_module("output", torch::nn::Linear(width, 2))),
        sigma_data(register_buffer("sigma_data", torch::tensor(sigma_data))),
        frequencies(register_buffer("frequencies", torch::pow(2.0, torch::arange(-3, 5)).to(torch::kFloat32))) {}
  /// The predicted noise ε̂ for the B×2 states x at the B noise levels σ.
  torch::Tensor noise(const torch::Tensor& x, const torch::Tensor& sigma) {
    const torch::Tensor s = sigma.unsqueeze(1);
    const torch::Tensor phase = (torch::log(s) / 4) * frequencies;  // B×8
    torch::Tensor h =
        torch::cat({x / torch::sqrt(s * s + sigma_data * sigma_data), torch::sin(phase), torch::cos(phase)}, 1);
    h = torch::silu(input(h));
    h = torch::silu(hidden1(h));
    h = torch::silu(hidden2(h));
    return output(h);
  }
  /// D(x; σ) for the B×2 states x at the B noise levels σ.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& sigma) {
    return x - sigma.unsqueeze(1) * noise(x, sigma);
  }
  torch::nn::Linear input, hidden1, hidden2, output;  ///< the layers
  torch::Tensor sigma_data, frequencies;              ///< the data's std per coordinate, the Fourier frequencies
};
TORCH_MODULE(Denoiser);
//]

/// Denoising score matching with EDM's noise distribution (ln σ ~ N(−1.2, 1.2²)) as noise prediction, |ε̂ − ε|², by
/// Adam with a learning rate decaying linearly from 2e-3 to 1e-4; prints progress.
void train(Denoiser& net, const torch::Tensor& data, int steps) {
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(2e-3));
  double running = 0;
  for (int step = 1; step <= steps; ++step) {
    const double lr = 2e-3 + (1e-4 - 2e-3) * (step - 1) / std::max(1, steps - 1);
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    const torch::Tensor x0 = data.index_select(0, torch::randint(data.size(0), {256}, torch::kLong));
    const torch::Tensor sigma = torch::exp(-1.2 + 1.2 * torch::randn({256}));
    const torch::Tensor noise = torch::randn_like(x0);
    const torch::Tensor loss = (net->noise(x0 + sigma.unsqueeze(1) * noise, sigma) - noise).pow(2).mean();
    adam.zero_grad();
    loss.backward();
    adam.step();
    running += loss.item<double>();
    if (step % 500 == 0 || step == steps) {
      std::printf("  step %5d/%d  loss %.4f\n", step, steps, running / (step % 500 == 0 ? 500 : step % 500));
      std::fflush(stdout);
      running = 0;
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) try {
  const auto start = std::chrono::steady_clock::now();
  const int train_steps = argc > 1 ? std::stoi(argv[1]) : 2000;
  const std::size_t n = argc > 2 ? std::stoul(argv[2]) : 1000;
  const std::uint64_t seed = argc > 3 ? std::stoull(argv[3]) : 1;
  const int torch_threads = argc > 4 ? std::stoi(argv[4]) : 1;
  torch::manual_seed(seed);
  torch::set_num_threads(torch_threads);

  const Eigen::MatrixXd train_set = ring_of_gaussians(20000, seed + 100);
  const Eigen::MatrixXd held_out = ring_of_gaussians(n, seed + 200), held_out2 = ring_of_gaussians(n, seed + 300);
  const double sigma_data = std::sqrt(ring_radius * ring_radius / 2 + mode_std * mode_std);  // per coordinate
  // The columns of a 2×N column-major matrix are the rows of an N×2 row-major tensor.
  const torch::Tensor data =
      torch::from_blob(const_cast<double*>(train_set.data()), {train_set.cols(), 2}, torch::kFloat64)
          .to(torch::kFloat32);

  std::printf("training a 3x128 SiLU denoiser for %d Adam steps (batch 256) on %lld points\n", train_steps,
              static_cast<long long>(data.size(0)));
  Denoiser untrained(sigma_data), trained(sigma_data);
  const auto train_start = std::chrono::steady_clock::now();
  train(trained, data, train_steps);
  const double train_seconds = seconds_since(train_start);
  std::printf("trained in %.1f s\n", train_seconds);

  // Save, load into a fresh network and check that it computes the same outputs.
  torch::save(trained, "torch_score_network.pt");
  Denoiser net(sigma_data);
  torch::load(net, "torch_score_network.pt");
  net->eval();
  untrained->eval();
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::randn({64, 2}), sigma = torch::exp(torch::randn({64}));
    if (!torch::equal(net->forward(x, sigma), trained->forward(x, sigma)))
      throw std::runtime_error("the loaded network differs from the saved one");
  }
  std::printf("saved torch_score_network.pt and loaded it back\n");

  //[ torch_score
  // The network as a batched score: one forward per block of particles (a B×2 tensor), no autograd. Under EDM's
  // SigmaProcess (x_σ = x0 + σz) the time is the noise level σ, and the denoiser's score is (D − x)/σ².
  const auto score = score_from_prediction<V2>(Prediction::denoiser, torch_batched_model(net), SigmaProcess{});
  auto prior = [](std::size_t, RandomStream& rng) { return V2(80 * rng.normal(), 80 * rng.normal()); };
  ReverseSampleOptions o;
  o.particles = n;
  o.seed = seed;
  const auto samples = sample_dpm_solver(SigmaProcess{}, score, prior, karras_sigmas(20), o);  // 20 evaluations
  //]
  // The same network under the VP SDE, whose x_t = a_t x0 + σ_t z is a_t times EDM's x at σ = σ_t/a_t.
  const VpSde<> vp;
  auto vp_denoiser = [model = torch_batched_model(net), vp](const Eigen::MatrixXd& x, const Eigen::VectorXd& t) {
    Eigen::MatrixXd scaled = x;
    Eigen::VectorXd sigma(t.size());
    for (Eigen::Index j = 0; j < t.size(); ++j) {
      scaled.col(j) /= vp.mean_coefficient(t[j]);
      sigma[j] = vp.marginal_std(t[j]) / vp.mean_coefficient(t[j]);
    }
    return model(scaled, sigma);
  };
  const auto vp_score = score_from_prediction<V2>(Prediction::denoiser, vp_denoiser, vp);
  // EDM Heun takes a per-particle score: a forward per particle, the cost a batched interface avoids.
  auto per_particle = [&score](const V2& x, double sigma) {
    return V2(score(Eigen::MatrixXd(x), Eigen::VectorXd::Constant(1, sigma)));
  };

  using Run = std::function<DiffusionSamples<V2>(std::size_t)>;
  const std::vector<std::pair<std::string, Run>> samplers{
      {"DPM-Solver++ 2M Karras",
       [&](std::size_t e) { return sample_dpm_solver(SigmaProcess{}, score, prior, karras_sigmas(e), o); }},
      {"DPM-Solver++ 3M Karras",
       [&](std::size_t e) {
         return sample_dpm_solver(SigmaProcess{}, score, prior, karras_sigmas(e), o, {.order = 3});
       }},
      {"DPM-Solver++ 2M SDE Karras",
       [&](std::size_t e) { return sample_dpm_solver(SigmaProcess{}, score, prior, karras_sigmas(e), o, {.eta = 1}); }},
      {"DPM-Solver++ 3M SDE Karras",
       [&](std::size_t e) {
         return sample_dpm_solver(SigmaProcess{}, score, prior, karras_sigmas(e), o, {.order = 3, .eta = 1});
       }},
      {"DPM-Solver++ 2M logSNR (VP)",
       [&](std::size_t e) {
         return sample_dpm_solver(vp, vp_score, vp.prior_sampler<V2>(), logsnr_uniform_times(vp, 1, 1e-3, e), o);
       }},
      {"UniPC-bh2 Karras",
       [&](std::size_t e) { return sample_unipc(SigmaProcess{}, score, prior, karras_sigmas(e), o); }},
      {"Euler ancestral Karras",
       [&](std::size_t e) { return sample_euler_ancestral(SigmaProcess{}, score, prior, karras_sigmas(e), o); }},
      {"EDM Heun (per particle)",
       [&](std::size_t e) { return sample_edm_heun(per_particle, prior, karras_sigmas((e + 1) / 2), o); }}};

  const double floor_energy = energy_distance(held_out2, held_out);
  const double floor_sw = sliced_wasserstein(held_out2, held_out, 128, 3);
  const auto untrained_score =
      score_from_prediction<V2>(Prediction::denoiser, torch_batched_model(untrained), SigmaProcess{});
  const auto untrained_samples = sample_dpm_solver(SigmaProcess{}, untrained_score, prior, karras_sigmas(50), o);
  const double untrained_energy = energy_distance(untrained_samples.samples(), held_out);

  std::ofstream csv("torch_score_network.csv");
  csv << "sampler,budget,evaluations_per_sample,energy_distance,sliced_w2,seconds\n";
  std::printf("\n%-28s %6s %10s %10s %10s %8s\n", "sampler", "budget", "evals/smp", "energy", "sliced W2", "seconds");
  std::printf("%-28s %6s %10s %10.5f %10.4f\n", "held-out vs held-out (floor)", "-", "-", floor_energy, floor_sw);
  std::printf("%-28s %6d %10s %10.5f %10.4f\n", "untrained network, 2M", 50, "50.0", untrained_energy,
              sliced_wasserstein(untrained_samples.samples(), held_out, 128, 3));
  csv << "floor,,," << floor_energy << ',' << floor_sw << ",\n";
  double best_energy_at_50 = INFINITY, best_sw_at_50 = INFINITY;
  for (const auto& [name, run] : samplers)
    for (std::size_t e : {10, 20, 50}) {
      const auto run_start = std::chrono::steady_clock::now();
      const auto r = run(e);
      const double seconds = seconds_since(run_start);
      if (!r.ensemble.failures.empty()) throw std::runtime_error(name + " lost particles");
      const double energy = energy_distance(r.samples(), held_out);
      const double sw = sliced_wasserstein(r.samples(), held_out, 128, 3);
      const double per_sample = double(r.score_evaluations) / double(n);
      std::printf("%-28s %6zu %10.1f %10.5f %10.4f %8.2f\n", name.c_str(), e, per_sample, energy, sw, seconds);
      std::fflush(stdout);
      csv << '"' << name << "\"," << e << ',' << per_sample << ',' << energy << ',' << sw << ',' << seconds << '\n';
      if (e == 50) {
        best_energy_at_50 = std::min(best_energy_at_50, energy);
        best_sw_at_50 = std::min(best_sw_at_50, sw);
      }
    }

  // The picture: held-out data next to the DPM-Solver++ 2M samples at 20 evaluations.
  {
    std::ofstream points("torch_score_network_points.dat");
    for (Eigen::Index j = 0; j < held_out.cols(); ++j) points << held_out(0, j) << ' ' << held_out(1, j) << '\n';
    points << "\n\n";
    for (Eigen::Index j = 0; j < samples.samples().cols(); ++j)
      points << samples.samples()(0, j) << ' ' << samples.samples()(1, j) << '\n';
  }
  sdekit_examples::draw_with_gnuplot(
      "torch_score_network.gp", "torch_score_network.png",
      "set multiplot layout 1,2\nset size ratio -1\nset xrange [-3:3]\nset yrange [-3:3]\n"
      "set title 'held-out data'\nplot 'torch_score_network_points.dat' index 0 with dots lc rgb '#1f77b4' notitle\n"
      "set title 'LibTorch network, DPM-Solver++ 2M, 20 evaluations'\n"
      "plot 'torch_score_network_points.dat' index 1 with dots lc rgb '#d62728' notitle\nunset multiplot\n",
      "1200,600");

  std::printf("\ntraining %.1f s, total %.1f s; wrote torch_score_network.csv\n", train_seconds, seconds_since(start));
  // The check: the network must have learned the data (near the floor) and be far better than untrained.
  std::printf(
      "best at 50 evaluations: sliced W2 %.4f (floor %.4f, limit 2x), energy %.5f (untrained %.5f, "
      "limit /100)\n",
      best_sw_at_50, floor_sw, best_energy_at_50, untrained_energy);
  if (!(best_sw_at_50 < 2 * floor_sw && best_energy_at_50 < untrained_energy / 100)) {
    std::fprintf(stderr, "torch_score_network: the trained network's samples are too far from the data\n");
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "torch_score_network: %s\n", e.what());
  return 1;
}
