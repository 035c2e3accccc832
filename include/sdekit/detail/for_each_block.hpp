#pragma once
// The parallel loop of an ensemble: particles in fixed-size blocks handed to OpenMP threads, progress reported,
// exceptions carried out of the parallel region.
#include <sdekit/ensemble/options.hpp>

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

namespace sdekit::detail {

/// The fraction of an ensemble done, reported to RunOptions::progress: whole blocks when they end, and, for runs
/// that report their own progress (a long jump-process run), the running particle's fraction in between, at most
/// every `interval` seconds. Thread-safe; the callback is called by one thread at a time with increasing values.
class ProgressTracker {
 public:
  /// Seconds between two in-block reports: often enough for a progress bar, rare enough to cost nothing.
  static constexpr double interval = 0.2;

  ProgressTracker(const RunOptions& options, int threads)
      : options_(options), running_(static_cast<std::size_t>(std::max(threads, 1))), last_(Clock::now()) {
    for (auto& r : running_) r.store(0.0, std::memory_order_relaxed);
  }

  /// True when a callback is set (so runs can skip clock reads otherwise).
  bool active() const { return static_cast<bool>(options_.progress); }

  /// The calling thread's current particle has done `fraction` (0 … 1) of its run; reports if `interval` passed.
  void partial(double fraction) {
    if (!active()) return;
    running_[slot()].store(std::clamp(fraction, 0.0, 1.0), std::memory_order_relaxed);
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_.load(std::memory_order_relaxed)).count() < interval) return;
    report_in_run();
  }

  /// `count` particles have ended (the calling thread's running fraction is reset); reports when `report_now`.
  void particles_done(std::size_t count, bool report_now) {
    if (!active()) return;
    running_[slot()].store(0.0, std::memory_order_relaxed);
    if (!report_now) {
      done_.fetch_add(count, std::memory_order_relaxed);
      return;
    }
    // Counted under the lock: two blocks ending together report two increasing values, none is lost.
    std::lock_guard<std::mutex> lock(mutex_);
    done_.fetch_add(count, std::memory_order_relaxed);
    report_locked();
  }

  /// The first exception the callback threw, if any.
  std::exception_ptr error() const { return error_; }

 private:
  using Clock = std::chrono::steady_clock;

  std::size_t slot() const {
    const auto t = static_cast<std::size_t>(std::max(omp_get_thread_num(), 0));
    return std::min(t, running_.size() - 1);
  }

  void report_in_run() {
    // A thread that finds another one reporting skips its in-run report: nobody waits on the callback.
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (lock.owns_lock()) report_locked();
  }

  void report_locked() {
    double fraction = static_cast<double>(done_.load(std::memory_order_relaxed));
    for (const auto& r : running_) fraction += r.load(std::memory_order_relaxed);
    fraction = std::min(fraction / static_cast<double>(options_.particles), 1.0);
    // Running fractions are read without a snapshot, so a sum can lag an earlier one: report only increases.
    if (!(fraction > reported_) || error_) return;
    reported_ = fraction;
    last_.store(Clock::now(), std::memory_order_relaxed);
    try {
      options_.progress(fraction);
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  const RunOptions& options_;
  std::vector<std::atomic<double>> running_;  // per thread: fraction of its current particle
  std::atomic<std::size_t> done_{0};
  std::atomic<Clock::time_point> last_;
  std::mutex mutex_;
  double reported_ = 0.0;
  std::exception_ptr error_;
};

/// Runs body(begin, end) — or body(begin, end, tracker) when the body reports progress within its block — for every
/// block of particles in parallel, reports progress, and rethrows the exception of the lowest-numbered block that
/// threw (after all blocks have stopped), so nothing escapes OpenMP.
template <class Body>
void for_each_block(const RunOptions& options, std::size_t blocks, Body&& body) {
  std::vector<std::exception_ptr> errors(blocks);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  ProgressTracker tracker(options, threads);
  auto run = [&](std::size_t b) {
    const std::size_t begin = b * options.block_size;
    const std::size_t end = std::min(options.particles, begin + options.block_size);
    try {
      if constexpr (std::is_invocable_v<Body&, std::size_t, std::size_t, ProgressTracker&>) body(begin, end, tracker);
      else body(begin, end);
    } catch (...) {
      errors[b] = std::current_exception();
    }
    // A body given the tracker reports its particles itself (the last one of the block with report_now).
    if constexpr (!std::is_invocable_v<Body&, std::size_t, std::size_t, ProgressTracker&>)
      tracker.particles_done(end - begin, true);
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
  if (tracker.error()) std::rethrow_exception(tracker.error());
}

}  // namespace sdekit::detail
