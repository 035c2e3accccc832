#pragma once
// The parallel loops of an ensemble: particles in fixed-size blocks handed to OpenMP threads (stored states), or
// leaves of particles in waves whose results are consumed in leaf order (statistics only); progress reported,
// exceptions carried out of the parallel region. In a distributed run (RunOptions::distribution) the process asks
// for segments of particles one at a time and runs each segment's blocks on its threads.
#include <sdekit/ensemble/distribution.hpp>
#include <sdekit/ensemble/options.hpp>
#include <sdekit/ensemble/result.hpp>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

namespace sdekit::detail {

/// Reports the fraction of particles done to RunOptions::progress, one call at a time, mapped into [from, to] (a
/// run of several passes gives each pass its share, so the fraction keeps increasing).
class ProgressCounter {
 public:
  ProgressCounter(const std::function<void(double)>& report, std::size_t total, double from = 0.0, double to = 1.0)
      : report_(report), total_(static_cast<double>(total)), from_(from), to_(to) {}
  /// Counts `particles` more as done; may throw what the callback throws.
  void add(std::size_t particles) {
    if (!report_) return;
#pragma omp critical(sdekit_progress)
    {
      done_ += particles;
      report_(from_ + (to_ - from_) * static_cast<double>(done_) / total_);
    }
  }

 private:
  const std::function<void(double)>& report_;
  double total_, from_, to_;
  std::size_t done_ = 0;
};

/// Threads an ensemble uses.
inline int ensemble_threads(const RunOptions& options) {
  return options.threads > 0 ? options.threads : omp_get_max_threads();
}

/// Runs body(begin, end) for every block of particles of the segments this process runs (all of them without a
/// distribution), in parallel, reports progress, and rethrows the exception of the lowest-numbered block that threw
/// (after all blocks have stopped), so nothing escapes OpenMP. The recorder says where segments are and stores them.
template <class Recorder, class Body>
void for_each_block(const RunOptions& options, Recorder& recorder, Body&& body) {
  ParticleDistribution* distribution = options.distribution.get();
  const int threads = ensemble_threads(options);
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

/// Runs make(leaf) → Result for every leaf of statistics_leaf_size particles, in parallel waves of a few leaves
/// per thread, and calls consume(std::move(result)) in leaf order after each wave: the results merge in a fixed
/// order while at most one wave of them is held (memory independent of the number of particles). Rethrows the
/// exception of the lowest-numbered leaf of the first wave that threw.
template <class Result, class Make, class Consume>
void for_each_leaf(const RunOptions& options, std::size_t leaves, Make&& make, Consume&& consume) {
  const int threads = ensemble_threads(options);
  const std::size_t wave = 4 * static_cast<std::size_t>(threads);
  std::vector<std::optional<Result>> results(wave);
  std::vector<std::exception_ptr> errors(wave);
  for (std::size_t first = 0; first < leaves; first += wave) {
    const long n = static_cast<long>(std::min(wave, leaves - first));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (long j = 0; j < n; ++j) {
      try {
        results[static_cast<std::size_t>(j)].emplace(make(first + static_cast<std::size_t>(j)));
      } catch (...) {
        errors[static_cast<std::size_t>(j)] = std::current_exception();
      }
    }
    for (long j = 0; j < n; ++j)
      if (errors[static_cast<std::size_t>(j)]) std::rethrow_exception(errors[static_cast<std::size_t>(j)]);
    for (long j = 0; j < n; ++j) {
      consume(std::move(*results[static_cast<std::size_t>(j)]));
      results[static_cast<std::size_t>(j)].reset();
    }
  }
}

}  // namespace sdekit::detail
