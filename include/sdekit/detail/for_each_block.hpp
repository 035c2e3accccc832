#pragma once
// The parallel loop of an ensemble: particles in fixed-size blocks handed to OpenMP threads, progress reported,
// exceptions carried out of the parallel region. In a distributed run (RunOptions::distribution) the process asks
// for segments of particles one at a time and runs each segment's blocks on its threads.
#include <sdekit/ensemble/distribution.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/result.hpp>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <vector>

namespace sdekit::detail {

/// Runs body(begin, end) for every block of particles of the segments this process runs (all of them without a
/// distribution), in parallel, reports progress, and rethrows the exception of the lowest-numbered block that threw
/// (after all blocks have stopped), so nothing escapes OpenMP. The recorder says where segments are and stores them.
template <class Recorder, class Body>
void for_each_block(const RunOptions& options, Recorder& recorder, Body&& body) {
  ParticleDistribution* distribution = options.distribution.get();
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const double total = static_cast<double>(options.particles);
  std::size_t known_done = 0;  // particles finished by all processes, as known at the last segment boundary
  std::size_t done = 0;        // particles finished in the current segment
  auto report = [&](std::size_t finished) { options.progress(std::min(1.0, static_cast<double>(finished) / total)); };
  auto run_segment = [&](std::size_t segment) {
    recorder.open_segment(segment);
    const ParticleRange range = recorder.segment(segment);
    const std::size_t blocks = (range.end - range.begin + options.block_size - 1) / options.block_size;
    std::vector<std::exception_ptr> errors(blocks);
    auto run = [&](std::size_t b) {
      const std::size_t begin = range.begin + b * options.block_size;
      const std::size_t end = std::min(range.end, begin + options.block_size);
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
            report(known_done + done);
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
    return range.end - range.begin;
  };

  if (!distribution) {
    run_segment(0);
    return;
  }
  // Every process must reach end_run, also one whose segment threw, or the others would wait for it forever.
  std::exception_ptr error;
  distribution->begin_run(recorder.segments(), options.particles);
  std::size_t segment = 0;
  while (!error && distribution->next_segment(segment)) {
    try {
      const std::size_t ran = run_segment(segment);
      known_done = distribution->finished(ran);
      done = 0;
    } catch (...) {
      error = std::current_exception();
    }
  }
  const bool any_failed = distribution->end_run(error != nullptr);
  if (error) std::rethrow_exception(error);
  if (any_failed) throw std::runtime_error("sdekit: another process of the distributed ensemble failed");
  if (options.progress) {
    try {
      report(options.particles);
    } catch (...) {
      // Nothing is left to cancel, and throwing here alone would leave the other processes waiting in finish().
    }
  }
}

}  // namespace sdekit::detail
