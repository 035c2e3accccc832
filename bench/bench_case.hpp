#pragma once
// The benchmark's case registry: each bench/case_*.cpp registers one case, with the sdekit run and the
// hand-written baseline it is compared with. main.cpp times both and prints one line per case and thread count.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sdekit_bench {

/// What one timed run is asked to do.
struct BenchConfig {
  std::size_t particles = 100000;  ///< particles (or independent runs)
  std::size_t steps = 1000;        ///< steps per particle
  int threads = 1;                 ///< OpenMP threads
  std::uint64_t seed = 42;         ///< seed
};

/// What one timed run reports.
struct BenchRun {
  double work = 0;             ///< units of work done: particle-steps, or reaction events
  std::uint64_t checksum = 0;  ///< digest of the final states (equal across thread counts for sdekit runs)
};

/// One benchmark case: the sdekit run and the baseline, each returning its work and checksum.
struct BenchCase {
  std::string name;
  std::function<BenchRun(const BenchConfig&)> sdekit;
  std::function<BenchRun(const BenchConfig&)> baseline;
};

/// All registered cases, in registration order.
std::vector<BenchCase>& cases();

/// Registers a case; use as `static const bool registered = register_case({...});` in a case file.
bool register_case(BenchCase c);

/// FNV-1a digest of n doubles' bytes.
std::uint64_t checksum_of(const double* values, std::size_t n);

}  // namespace sdekit_bench
