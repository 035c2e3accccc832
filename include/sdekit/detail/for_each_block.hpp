#pragma once
// The parallel loops of an ensemble: particles in fixed-size blocks handed to OpenMP threads (stored states), or
// leaves of particles in waves whose results are consumed in leaf order (statistics only); progress reported,
// exceptions carried out of the parallel region.
#include <sdekit/ensemble/options.hpp>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
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

/// Runs body(begin, end) for every block of particles in parallel, reports progress, and rethrows the exception
/// of the lowest-numbered block that threw (after all blocks have stopped), so nothing escapes OpenMP.
template <class Body>
void for_each_block(const RunOptions& options, std::size_t blocks, Body&& body) {
  std::vector<std::exception_ptr> errors(blocks);
  ProgressCounter progress(options.progress, options.particles);
  const int threads = ensemble_threads(options);
  auto run = [&](std::size_t b) {
    const std::size_t begin = b * options.block_size;
    const std::size_t end = std::min(options.particles, begin + options.block_size);
    try {
      body(begin, end);
      progress.add(end - begin);
    } catch (...) {
      errors[b] = std::current_exception();
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
