#pragma once
// A text progress bar on stderr, usable directly as EnsembleOptions::progress. It stays silent for runs that end
// within `delay` seconds, so quick runs print nothing, and redraws at most ten times a second.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace sdekit {

/// Progress callback drawing "label [#####.....]  42%" on stderr once a run has taken longer than `delay`.
class ProgressBar {
 public:
  /// A bar named `label` that appears after `delay_seconds`.
  explicit ProgressBar(std::string label, double delay_seconds = 1.0)
      : state_(std::make_shared<State>(std::move(label), delay_seconds)) {}

  /// Reports the fraction done (0 … 1); copies of the bar share one display.
  void operator()(double fraction) const {
    State& s = *state_;
    const double elapsed = std::chrono::duration<double>(Clock::now() - s.start).count();
    if (elapsed < s.delay && fraction < 1.0) return;
    if (fraction < 1.0 && elapsed - s.last_draw < 0.1) return;
    if (fraction >= 1.0 && !s.shown) return;  // finished before it was worth showing
    s.last_draw = elapsed;
    s.shown = true;
    constexpr int width = 30;
    const int filled = static_cast<int>(fraction * width + 0.5);
    std::fprintf(
        stderr, "\r%s [%s%s] %3d%%", s.label.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
        std::string(static_cast<std::size_t>(width - filled), '.').c_str(), static_cast<int>(fraction * 100 + 0.5));
    if (fraction >= 1.0) std::fprintf(stderr, "  %.1f s\n", elapsed);
    std::fflush(stderr);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct State {
    State(std::string l, double d) : label(std::move(l)), delay(d), start(Clock::now()) {}
    std::string label;
    double delay;
    Clock::time_point start;
    double last_draw = -1.0;
    bool shown = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace sdekit
