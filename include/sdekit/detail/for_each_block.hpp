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
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace sdekit::detail {

/// The fraction of an ensemble done, reported to RunOptions::progress: whole blocks when they end, and, for runs
/// that report their own progress (a long jump-process run), the running particle's fraction in between, at most
/// every `interval` seconds. In a distributed run the particles finished by all processes, as known at the last
/// segment boundary, are counted too. Thread-safe; the callback is called by one thread at a time with increasing
/// values.
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

  /// A segment ended and `known_done` particles are known finished by all processes (this one's included): they
  /// replace the particles counted since the last boundary. Called outside the parallel region.
  void segment_boundary(std::size_t known_done) {
    known_done_ = known_done;
    done_.store(0, std::memory_order_relaxed);
    for (auto& r : running_) r.store(0.0, std::memory_order_relaxed);
  }

  /// Reports 1 (the end of a distributed run, whose last segments ran on other processes); called outside the
  /// parallel region.
  void finish() {
    if (!active()) return;
    segment_boundary(options_.particles);
    std::lock_guard<std::mutex> lock(mutex_);
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
    double fraction = static_cast<double>(known_done_ + done_.load(std::memory_order_relaxed));
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
  std::size_t known_done_ = 0;                // written only between segments, outside the parallel region
  std::atomic<std::size_t> done_{0};
  std::atomic<Clock::time_point> last_;
  std::mutex mutex_;
  double reported_ = 0.0;
  std::exception_ptr error_;
};

/// Reports the fraction of particles done to RunOptions::progress, one call at a time, mapped into [from, to] (a
/// run of several passes gives each pass its share, so the fraction keeps increasing).
class ProgressCounter {
 public:
  ProgressCounter(const std::function<void(double)>& report, std::size_t total, double from = 0.0, double to = 1.0)
      : report_(report), total_(static_cast<double>(total)), from_(from), to_(to) {}
  /// Sets the particles done to `particles` (those all processes of a distributed run have finished, as known at a
  /// segment boundary); called outside the parallel region.
  void set_done(std::size_t particles) { done_ = particles; }
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

/// Runs body(begin, end) — or body(begin, end, tracker) when the body reports progress within its block — for every
/// block of particles of the segments this process runs (all of them without a distribution), in parallel, reports
/// progress, and rethrows the exception of the lowest-numbered block that threw (after all blocks have stopped), so
/// nothing escapes OpenMP. The recorder says where segments are and stores them.
template <class Recorder, class Body>
void for_each_block(const RunOptions& options, Recorder& recorder, Body&& body) {
  constexpr bool reports_itself = std::is_invocable_v<Body&, std::size_t, std::size_t, ProgressTracker&>;
  ParticleDistribution* distribution = options.distribution.get();
  const int threads = ensemble_threads(options);
  ProgressTracker tracker(options, threads);
  auto run_segment = [&](std::size_t segment) {
    recorder.open_segment(segment);
    const ParticleRange range = recorder.segment(segment);
    const std::size_t blocks = (range.end - range.begin + options.block_size - 1) / options.block_size;
    std::vector<std::exception_ptr> errors(blocks);
    auto run = [&](std::size_t b) {
      const std::size_t begin = range.begin + b * options.block_size;
      const std::size_t end = std::min(range.end, begin + options.block_size);
      try {
        if constexpr (reports_itself) body(begin, end, tracker);
        else body(begin, end);
      } catch (...) {
        errors[b] = std::current_exception();
      }
      // A body given the tracker reports its particles itself (the last one of the block with report_now).
      if constexpr (!reports_itself) tracker.particles_done(end - begin, true);
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
      tracker.segment_boundary(distribution->finished(ran));
    } catch (...) {
      error = std::current_exception();
    }
  }
  const bool any_failed = distribution->end_run(error != nullptr);
  if (error) std::rethrow_exception(error);
  if (any_failed) throw std::runtime_error("sdekit: another process of the distributed ensemble failed");
  // Nothing is left to cancel, and throwing here alone would leave the other processes waiting in finish(): a
  // callback that throws now is not rethrown.
  tracker.finish();
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
