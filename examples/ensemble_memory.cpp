// Peak memory of the two storage modes: a 3-D SDE (a linear system with diagonal noise) with 10 save times and a
// histogram of each component, run with stored states and statistics-only for growing particle counts. Each run is a
// child process, so its peak resident memory (VmHWM in /proc/self/status) is its own.
//
// Usage: ensemble_memory [N ...]          table for these particle counts (default 1e5 1e6); states are skipped
//                                          where they would need more than 8 GiB
//        ensemble_memory run MODE N        one run (MODE = states or statistics), printing one line
// Prints the table (mode, N, seconds, peak MiB, MiB that the stored states alone take), checks that both modes give
// the same mean bits, and writes ensemble_memory.csv.
#include <sdekit/ensemble.hpp>
#include <sdekit/solvers/euler_maruyama.hpp>

#include <Eigen/Core>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using V3 = Eigen::Vector3d;

double peak_memory_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return -1.0;
}

// One run; prints "seconds peak_mib mean0_as_hex".
int run(const std::string& mode, std::size_t particles) {
  const auto sde =
      sdekit::make_sde([](const V3& x, double) { return V3(-x[0] + 0.5 * x[1], -2.0 * x[1], x[0] - x[2]); },
                       [](const V3&, double) { return V3(0.8, 0.5, 0.3); });
  sdekit::EnsembleOptions o;
  o.particles = particles;
  o.seed = 1;
  o.t1 = 1.0;
  o.dt = 0.1;
  for (int s = 1; s <= 10; ++s) o.save_times.push_back(0.1 * s);
  o.statistics.storage = mode == "states" ? sdekit::Storage::states : sdekit::Storage::statistics_only;
  for (std::size_t c = 0; c < 3; ++c) o.statistics.histograms.push_back({c, 100, -3.0, 3.0});
  const auto start = std::chrono::steady_clock::now();
  const auto result = sdekit::simulate_ensemble(sdekit::EulerMaruyama{}, sde, V3(0.5, -0.2, 0.1), o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.2f %.1f %a\n", seconds, peak_memory_mib(), result.statistics.back().mean[0]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "run") == 0)
    return run(argv[2], static_cast<std::size_t>(std::strtod(argv[3], nullptr)));
  std::vector<double> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::strtod(argv[i], nullptr));
  if (counts.empty()) counts = {1e5, 1e6};
  std::printf("3-D SDE, 10 save times, 3 histograms of 100 bins; peak resident memory per run\n\n");
  std::printf("%-11s %12s %9s %10s %16s\n", "mode", "particles", "seconds", "peak MiB", "states MiB");
  std::ofstream csv("ensemble_memory.csv");
  csv << "mode,particles,seconds,peak_mib,state_mib\n";
  bool agree = true;
  for (double n : counts) {
    const double state_mib = 8.0 * 3 * 10 * n / (1024.0 * 1024.0);
    std::string means[2];
    for (int m = 0; m < 2; ++m) {
      const std::string mode = m == 0 ? "states" : "statistics";
      if (m == 0 && state_mib > 8192) {
        std::printf("%-11s %12.0f %9s %10s %16.0f  (skipped: more than 8 GiB of states)\n", mode.c_str(), n, "-", "-",
                    state_mib);
        continue;
      }
      const std::string command = std::string("\"") + argv[0] + "\" run " + mode + " " + std::to_string(n);
      FILE* child = popen(command.c_str(), "r");
      char line[256] = {0};
      double seconds = 0, peak = 0;
      char mean[128] = {0};
      const bool ok = child && std::fgets(line, sizeof line, child) &&
                      std::sscanf(line, "%lf %lf %127s", &seconds, &peak, mean) == 3;
      if (child) pclose(child);
      if (!ok) {
        std::printf("%-11s %12.0f  run failed\n", mode.c_str(), n);
        agree = false;
        continue;
      }
      means[m] = mean;
      std::printf("%-11s %12.0f %9.2f %10.1f %16.1f\n", mode.c_str(), n, seconds, peak, state_mib);
      csv << mode << ',' << n << ',' << seconds << ',' << peak << ',' << state_mib << '\n';
    }
    if (!means[0].empty() && means[0] != means[1]) agree = false;
  }
  std::printf("\nmeans of both modes %s bit for bit\nwrote ensemble_memory.csv\n", agree ? "agree" : "DIFFER");
  return agree ? 0 : 1;
}
