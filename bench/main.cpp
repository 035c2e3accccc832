// sdekit-bench: times every case for sdekit and its hand-written baseline in the same run and prints
//   bench case=NAME threads=T particles=N steps=S msteps_per_s=X baseline_msteps_per_s=Y speedup=X/Y checksum=H
#include "bench_case.hpp"

#include <omp.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sdekit_bench {

std::vector<BenchCase>& cases() {
  static std::vector<BenchCase> all;
  return all;
}

bool register_case(BenchCase c) {
  cases().push_back(std::move(c));
  return true;
}

std::uint64_t checksum_of(const double* values, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values);
  for (std::size_t i = 0; i < n * sizeof(double); ++i) {
    h ^= bytes[i];
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace sdekit_bench

namespace {

using namespace sdekit_bench;

struct Timed {
  BenchRun run;
  double seconds;
};

Timed time_run(const std::function<BenchRun(const BenchConfig&)>& f, const BenchConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  BenchRun run = f(config);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {run, seconds};
}

std::vector<int> parse_threads(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int t = std::atoi(item.c_str());
    if (t <= 0) throw std::invalid_argument("--threads: each entry must be a positive integer, got '" + item + "'");
    out.push_back(t);
  }
  return out;
}

void usage() {
  std::printf(
      "usage: sdekit-bench [--case NAME[,NAME...]] [--threads T[,T...]] [--particles N] [--steps S] [--repeat R] "
      "[--list]\n"
      "  defaults: every case, threads = OMP_NUM_THREADS (or all cores), 100000 particles, 1000 steps, 1 repeat\n"
      "  --repeat R times each side R times, alternating, and reports the best of each (less noise on a busy "
      "machine)\n");
}

}  // namespace

int main(int argc, char** argv) try {
  BenchConfig config;
  std::vector<int> threads{omp_get_max_threads()};
  std::string only;
  int repeat = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--threads") threads = parse_threads(value());
    else if (arg == "--particles") config.particles = std::stoull(value());
    else if (arg == "--steps") config.steps = std::stoull(value());
    else if (arg == "--case") only = std::string(",").append(value()).append(",");  // operator+ trips GCC 12 -Wrestrict
    else if (arg == "--repeat") repeat = std::stoi(value());
    else if (arg == "--list") {
      for (const auto& c : cases()) std::printf("%s\n", c.name.c_str());
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      usage();
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  if (config.particles == 0 || config.steps == 0)
    throw std::invalid_argument("--particles and --steps must be positive");
  if (repeat < 1) throw std::invalid_argument("--repeat must be at least 1");
  bool any = false;
  for (const auto& c : cases()) {
    if (!only.empty() && only.find("," + c.name + ",") == std::string::npos) continue;
    any = true;
    for (int t : threads) {
      config.threads = t;
      Timed ours = time_run(c.sdekit, config);
      Timed base = time_run(c.baseline, config);
      for (int r = 1; r < repeat; ++r) {
        const Timed o = time_run(c.sdekit, config);
        const Timed b = time_run(c.baseline, config);
        if (o.run.checksum != ours.run.checksum)
          throw std::runtime_error(c.name + ": checksum changed between repeats");
        if (o.seconds < ours.seconds) ours = o;
        if (b.seconds < base.seconds) base = b;
      }
      const double rate = ours.run.work / ours.seconds / 1e6;
      const double base_rate = base.run.work / base.seconds / 1e6;
      std::printf(
          "bench case=%s threads=%d particles=%zu steps=%zu msteps_per_s=%.1f baseline_msteps_per_s=%.1f "
          "speedup=%.2f checksum=%016" PRIx64 "\n",
          c.name.c_str(), t, config.particles, config.steps, rate, base_rate, rate / base_rate, ours.run.checksum);
      std::fflush(stdout);
    }
  }
  if (!any) throw std::invalid_argument("no case matches --case; --list shows the cases");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sdekit-bench: %s\n", e.what());
  return 2;
}
