#pragma once
// The indexed priority queue of the next reaction method (Gibson & Bruck 2000): a binary min-heap of reaction
// indices keyed by their putative firing times, with each index's heap position kept so that a changed time is
// restored in O(log R). Fixed capacity: no allocation.
#include <array>
#include <cstddef>
#include <utility>

namespace sdekit::detail {

/// A binary min-heap of the indices 0 … R−1 keyed by times[i]; update(i) after times[i] changed.
template <std::size_t R>
class IndexedMinHeap {
 public:
  /// Builds the heap over all R indices from the current times.
  explicit IndexedMinHeap(const std::array<double, R>& times) : times_(times) {
    for (std::size_t i = 0; i < R; ++i) heap_[i] = position_[i] = i;
    for (std::size_t i = R / 2; i-- > 0;) sift_down(i);
  }

  /// The index with the smallest time.
  std::size_t top() const { return heap_[0]; }

  /// Restores the heap after times[i] changed.
  void update(std::size_t i) {
    const std::size_t p = position_[i];
    if (p > 0 && times_[heap_[p]] < times_[heap_[(p - 1) / 2]]) sift_up(p);
    else sift_down(p);
  }

 private:
  void swap_nodes(std::size_t a, std::size_t b) {
    std::swap(heap_[a], heap_[b]);
    position_[heap_[a]] = a;
    position_[heap_[b]] = b;
  }
  void sift_up(std::size_t p) {
    while (p > 0 && times_[heap_[p]] < times_[heap_[(p - 1) / 2]]) {
      swap_nodes(p, (p - 1) / 2);
      p = (p - 1) / 2;
    }
  }
  void sift_down(std::size_t p) {
    for (;;) {
      const std::size_t l = 2 * p + 1, r = l + 1;
      std::size_t smallest = p;
      if (l < R && times_[heap_[l]] < times_[heap_[smallest]]) smallest = l;
      if (r < R && times_[heap_[r]] < times_[heap_[smallest]]) smallest = r;
      if (smallest == p) return;
      swap_nodes(p, smallest);
      p = smallest;
    }
  }

  const std::array<double, R>& times_;
  std::array<std::size_t, R> heap_{};      // heap_[p]: the index at heap position p
  std::array<std::size_t, R> position_{};  // position_[i]: the heap position of index i
};

}  // namespace sdekit::detail
