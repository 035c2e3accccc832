#pragma once
// The parallel loop of an ensemble: particles in fixed-size blocks handed to OpenMP threads, progress reported,
// exceptions carried out of the parallel region.
#include <sdekit/ensemble/options.hpp>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <vector>

namespace sdekit::detail {

/// Runs body(begin, end) for every block of particles in parallel, reports progress, and rethrows the exception
/// of the lowest-numbered block that threw (after all blocks have stopped), so nothing escapes OpenMP.
template <class Body>
void for_each_block(const RunOptions& options, std::size_t blocks, Body&& body) {
  std::vector<std::exception_ptr> errors(blocks);
  std::size_t done = 0;
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  auto run = [&](std::size_t b) {
    const std::size_t begin = b * options.block_size;
    const std::size_t end = std::min(options.particles, begin + options.block_size);
    try {
      body(begin, end);
    } catch (...) {
      errors[b] = std::current_exception();
    }
    if (options.progress) {
#pragma omp critical(sdekit_progress)
      {
        done += end - begin;
        try {
          options.progress(static_cast<double>(done) / static_cast<double>(options.particles));
        } catch (...) {
          if (!errors[b]) errors[b] = std::current_exception();
        }
      }
    }
  };
  const long n = static_cast<long>(blocks);
  if (options.schedule == Schedule::dynamic_blocks) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long b = 0; b < n; ++b) run(static_cast<std::size_t>(b));
  } else {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long b = 0; b < n; ++b) run(static_cast<std::size_t>(b));
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace sdekit::detail
