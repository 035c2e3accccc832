#pragma once
// A virtual Brownian tree: the Brownian path (W and its space-time Lévy area H) on the dyadic grid
// t0 + k (t1 − t0) / 2^L of [t0, t1], any point of which can be asked for in any order, with O(L) memory.
//
// Every dyadic point is the midpoint of exactly one node of the binary tree over [t0, t1] (heap index n: the root is
// 1, node n's children are 2n and 2n + 1), and its values come from the joint Brownian bridge of (W, H) over that
// node's interval given the node's own (W, H), with two standard normals per Wiener process that are a pure function
// of (seed, particle, n, component): Z(seed, particle, 2n, c) and Z(…, 2n + 1, c) on NoiseSpace::brownian_tree
// (one Philox block per node and process). Node "0" gives the values at t1. So the value at a point is the same
// whatever was asked before, on any thread: a rejected adaptive step is retried on the same path, and the steps an
// adaptive integrator takes do not depend on the query history.
//
// The midpoint rule is Foster's (thesis, Oxford 2020, Theorem 6.1.6), as diffrax's VirtualBrownianTree uses it
// (diffrax/_brownian/tree.py): on a node [s, u] of length h with increments W = W_{s,u} and H̄ = h·H_{s,u}, and the
// normals z = √h/4 · Z₁, n = √(h/12) · Z₂,
//   W_{s,t} = W/2 + (3/(2h)) H̄ + z          W_{t,u} = W/2 − (3/(2h)) H̄ − z
//   H̄_{s,t} = H̄/8 − (h/4) z + (h/4) n      H̄_{t,u} = H̄/8 − (h/4) z − (h/4) n
// which gives each half W-variance h/2 and H̄-variance (h/2)³/12, with W and H independent on each half and the two
// halves independent. Values at points are kept as W(t) − W(t0) and H̄(t) = ∫_{t0}^{t} (W_r − W_{t0}) dr − (t − t0)
// W(t)/2 (in units of the normalised interval [0, 1]); an increment over [s, u] is their difference, with Chen's
// relation H̄_{s,u} = H̄(u) − H̄(s) − ½ (u W(s) − s W(u)), and I_(1,0) = h W_{s,u}/2 + H̄_{s,u}.
//
// The descent keeps the last root-to-point path (per level: the node's interval, the values at its ends and its own
// increments, which keep the bridge at the node's scale), and the last two points asked for: stepping forward costs
// amortised O(1) nodes per step when step ends are coarse dyadic points (the adaptive integrator snaps them so), and
// retrying a rejected step re-uses the path.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/increment.hpp>
#include <sdekit/core/noise.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sdekit {

/// The Brownian path of `dimension` Wiener processes of (seed, particle) on the dyadic grid of [t0, t1] with 2^depth
/// steps, as a virtual Brownian tree (see the header comment): W(s, u) and I_(1,0)(s, u) for any grid points
/// s < u, bitwise the same whatever was queried before. A noise source for steppers that need ΔW or ΔW and I_(1,0).
/// Not thread-safe (it caches the last path): one tree per particle and thread; trees of the same (seed, particle)
/// give the same bits. `bridge_variance` is the conditional variance of W at a node's midpoint given the node, as a
/// fraction of the node's length: ¼ is the Brownian bridge (BrownianTree); other values exist only so that tests can
/// show the law tests catch a wrong bridge (the bug class of torchsde's and RSwM's h/2).
template <double bridge_variance>
class BasicBrownianTree {
  static_assert(bridge_variance >= 0.1875, "sdekit::BasicBrownianTree: the bridge variance is at least 3/16");

 public:
  /// The deepest tree: the grid index and the node's heap index (below 2^(depth + 1)) must stay exact in a double
  /// and fit the counter space.
  static constexpr int max_depth = 52;

  /// The tree over [t0, t1] with 2^depth leaves (1 ≤ depth ≤ max_depth), for particle `particle` (< 2^32).
  BasicBrownianTree(std::uint64_t seed, double t0, double t1, int depth, std::size_t dimension = 1,
                    std::uint64_t particle = 0)
      : seed_(seed), particle_(particle), t0_(t0), t1_(t1), depth_(depth), dimension_(dimension) {
    constexpr std::string_view where = "sdekit::BrownianTree";
    detail::require(std::isfinite(t0), where, "t0", t0, "must be finite");
    detail::require(std::isfinite(t1) && t1 > t0, where, "t1", t1,
                    "must be finite and above t0 = " + detail::to_text(t0));
    detail::require(depth >= 1 && depth <= max_depth, where, "depth", depth,
                    "must be between 1 and " + detail::to_text(max_depth));
    detail::require(dimension >= 1 && dimension < (std::size_t{1} << 31), where, "dimension", dimension,
                    "must be between 1 and 2^31 - 1");
    detail::require(particle < (std::uint64_t{1} << 32), where, "particle", particle, "must be below 2^32");
    const std::size_t m = dimension_;
    levels_.assign(static_cast<std::size_t>(depth_) + 1, Level{});
    values_.assign((static_cast<std::size_t>(depth_) + 1) * fields * m, 0.0);
    memo_values_.assign(4 * m, 0.0);
    z1_.assign(m, 0.0);
    z2_.assign(m, 0.0);
    run_first_.assign(static_cast<std::size_t>(depth_), no_run);
    last_drawn_.assign(static_cast<std::size_t>(depth_), 0);
    run_z1_.assign(static_cast<std::size_t>(depth_) * run_nodes * m, 0.0);
    run_z2_.assign(static_cast<std::size_t>(depth_) * run_nodes * m, 0.0);
    sqrt_length_ = std::sqrt(t1_ - t0_);
    // 2^-L and 2^L exactly, and the bridge's scales per level: products instead of ldexp and sqrt in the step loop
    // (the same bits: scaling by a power of two is exact, and the scales are computed once as they would be there).
    inverse_leaves_ = std::ldexp(1.0, -depth_);
    leaves_double_ = std::ldexp(1.0, depth_);
    grid_per_time_ = leaves_double_ / (t1_ - t0_);
    z_scales_.resize(static_cast<std::size_t>(depth_));
    n_scales_.resize(static_cast<std::size_t>(depth_));
    for (int d = 0; d < depth_; ++d) {
      const double h = std::ldexp(1.0, -d);  // a node of level d spans 2^-d of the normalised interval
      // √(h (v − 3/16)): √h/4 for the bridge (v = ¼); the H̄ term carries the other 3h/16 of W's variance.
      z_scales_[static_cast<std::size_t>(d)] = std::sqrt(h * (bridge_variance - 0.1875));
      n_scales_[static_cast<std::size_t>(d)] = std::sqrt(h / 12.0);
    }
    // The root: W(t1) and H̄(t1) of the normalised interval [0, 1] from node 0's normals; W(t0) = H̄(t0) = 0.
    draw_node(0);
    levels_[0] = Level{0, leaves(), false};
    for (std::size_t c = 0; c < m; ++c) {
      at(0, w_high, c) = z1_[c];
      at(0, w_inc, c) = z1_[c];
      at(0, b_high, c) = z2_[c] / std::sqrt(12.0);
      at(0, b_inc, c) = z2_[c] / std::sqrt(12.0);
    }
    cached_ = 0;
  }

  double t0() const { return t0_; }                     ///< start of the interval
  double t1() const { return t1_; }                     ///< end of the interval
  int depth() const { return depth_; }                  ///< L: the grid has 2^L steps
  std::size_t dimension() const { return dimension_; }  ///< number of Wiener processes
  std::uint64_t seed() const { return seed_; }          ///< the seed
  std::uint64_t particle() const { return particle_; }  ///< the particle index
  /// Number of grid steps, 2^depth.
  std::uint64_t leaves() const { return std::uint64_t{1} << depth_; }
  /// The grid step (t1 − t0) / 2^depth: the smallest step the tree can give.
  double resolution() const { return std::ldexp(t1_ - t0_, -depth_); }
  /// Grid point k (0 ≤ k ≤ 2^depth) as a time; exactly t1 at k = 2^depth.
  double time_of(std::uint64_t k) const {
    return k >= leaves() ? t1_ : t0_ + static_cast<double>(k) * inverse_leaves_ * (t1_ - t0_);
  }
  /// Grid index of time t; throws unless t lies on the grid (within 1e-9 of a grid step), calling t `name`.
  std::uint64_t index_of(double t, std::string_view name = "t") const {
    const double steps = (t - t0_) * grid_per_time_;
    // Round half up by conversion (std::round is a library call here): exact for −½ < steps < 2^52.
    const double nearest = steps > -0.5 && steps < leaves_double_ + 0.5
                               ? static_cast<double>(static_cast<std::uint64_t>(steps + 0.5))
                               : -1.0;
    // (The message is built only on failure: this runs twice per step.)
    if (!(nearest >= 0 && nearest <= static_cast<double>(leaves()) && std::abs(steps - nearest) <= 1e-9))
      detail::throw_invalid("sdekit::BrownianTree", name, t,
                            "is not a point of the tree's grid t0 + k (t1 - t0) / 2^" + detail::to_text(depth_) +
                                " on [" + detail::to_text(t0_) + ", " + detail::to_text(t1_) + "]");
    return static_cast<std::uint64_t>(nearest);
  }

  /// The increment (ΔW: a double or a vector; or a TimeIntegralIncrement {ΔW, I_(1,0)}, already sized) between grid
  /// points k0 ≤ k1.
  template <class Inc>
    requires(information_of_v<Inc> != NoiseInformation::levy_area)
  void increment(std::uint64_t k0, std::uint64_t k1, Inc& inc) {
    auto& dW = wiener_part(inc);
    if (wiener_dimension(dW) != dimension_)
      detail::throw_invalid("sdekit::BrownianTree::increment", "dW.size()", wiener_dimension(dW),
                            "must equal the tree's dimension " + detail::to_text(dimension_));
    if (k0 > k1 || k1 > leaves())
      detail::throw_invalid(
          "sdekit::BrownianTree::increment", "k1", k1,
          "must lie between k0 = " + detail::to_text(k0) + " and 2^depth = " + detail::to_text(leaves()));
    const double* first = point(k0);  // stays valid: point(k1) overwrites the other memo slot
    const double* second = point(k1);
    const double s = static_cast<double>(k0) * inverse_leaves_;
    const double u = static_cast<double>(k1) * inverse_leaves_;
    const double length = u - s;
    const double w_scale = sqrt_length_;
    const double i_scale = (t1_ - t0_) * sqrt_length_;
    const std::size_t m = dimension_;
    for (std::size_t c = 0; c < m; ++c) {
      const double w = second[c] - first[c];
      if constexpr (information_of_v<Inc> == NoiseInformation::time_integral) {
        const double bar_h = second[m + c] - first[m + c] - 0.5 * (u * first[c] - s * second[c]);
        component(inc.I10, c) = i_scale * (0.5 * length * w + bar_h);
      }
      component(dW, c) = w_scale * w;
    }
  }

  /// The noise-source call: the increment over [t, t + dt]; both ends must be grid points.
  template <class Inc>
    requires(information_of_v<Inc> != NoiseInformation::levy_area)
  void operator()(std::uint64_t /*step*/, double t, double dt, Inc& inc) {
    const std::uint64_t k0 = index_of(t);
    increment(k0, index_of(t + dt, "t + dt"), inc);
  }

  /// W_c(t_k) − W_c(t0) at grid point k.
  double value(std::uint64_t k, std::size_t component = 0) {
    if (component >= dimension_)
      detail::throw_invalid("sdekit::BrownianTree::value", "component", component,
                            "must be below the tree's dimension " + detail::to_text(dimension_));
    if (k > leaves())
      detail::throw_invalid("sdekit::BrownianTree::value", "k", k,
                            "must not exceed 2^depth = " + detail::to_text(leaves()));
    return sqrt_length_ * point(k)[component];
  }

  /// Philox blocks drawn so far (one per node and Wiener process, the root's included): the cost of the queries.
  std::uint64_t philox_blocks() const { return blocks_; }

 private:
  // Per level of the cached path: the node's interval [low, high] in grid units. Its values are in values_.
  struct Level {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    bool split = false;  // whether the *_mid, *_left and *_right fields hold its halves
  };
  // The values of a cached level, per Wiener process, normalised to [0, 1]: W and H̄ at both ends, the node's own
  // increments W_{s,u} and H̄_{s,u} (kept rather than recomputed from the ends: no cancellation deep down), and once
  // split, the values at its midpoint and the increments of its two halves.
  enum Field : std::size_t {
    w_low,
    w_high,
    w_inc,
    b_low,
    b_high,
    b_inc,
    w_mid,
    b_mid,
    w_left,
    w_right,
    b_left,
    b_right,
    fields
  };

  double& at(std::size_t level, Field f, std::size_t c) { return values_[(level * fields + f) * dimension_ + c]; }

  template <class W>
  static double& component(W& w, std::size_t c) {
    if constexpr (std::is_arithmetic_v<W>) {
      (void)c;
      return w;
    } else return w[static_cast<Eigen::Index>(c)];
  }

  // Node n's two normals per Wiener process into z1_, z2_: one Philox block each.
  void draw_node(std::uint64_t n) {
    standard_normal_pairs(seed_, particle_, n, dimension_, z1_.data(), z2_.data(), NoiseSpace::brownian_tree);
    blocks_ += dimension_;
  }

  // The same for node n of level d, through the level's run buffer: when the level's previous draw was node n − 1
  // (a forward sweep), the next run_nodes nodes of the level are drawn at once, vectorised (standard_normal_pair_run,
  // the same bits), and served from the buffer. Random access (a rejection's retry) still draws one node.
  void draw_node(std::uint64_t n, std::size_t d) {
    const std::size_t m = dimension_;
    std::uint64_t& first = run_first_[d];
    double* z1 = run_z1_.data() + d * run_nodes * m;
    double* z2 = run_z2_.data() + d * run_nodes * m;
    if (n < first || n - first >= run_nodes) {
      const std::uint64_t level_end = std::uint64_t{2} << d;  // the level's nodes are 2^d … 2^(d+1) − 1
      if (last_drawn_[d] + 1 != n || n + run_nodes > level_end) {
        last_drawn_[d] = n;
        draw_node(n);
        return;
      }
      for (std::size_t c = 0; c < m; ++c)
        standard_normal_pair_run(seed_, particle_, n, run_nodes, static_cast<std::uint32_t>(c), z1 + c * run_nodes,
                                 z2 + c * run_nodes, NoiseSpace::brownian_tree);
      blocks_ += run_nodes * m;
      first = n;
    }
    last_drawn_[d] = n;
    const std::size_t i = static_cast<std::size_t>(n - first);
    for (std::size_t c = 0; c < m; ++c) {
      z1_[c] = z1[c * run_nodes + i];
      z2_[c] = z2[c * run_nodes + i];
    }
  }

  // The normalised values at grid point k: W at [0, m), H̄ at [m, 2m). The pointer is valid until the query after
  // the next one (two memo slots, least recently used one overwritten).
  const double* point(std::uint64_t k) {
    const std::size_t m = dimension_;
    for (int slot = 0; slot < 2; ++slot)
      if (memo_valid_[slot] && memo_key_[slot] == k) {
        memo_recent_ = slot;
        return memo_values_.data() + static_cast<std::size_t>(slot) * 2 * m;
      }
    const int slot = 1 - memo_recent_;
    double* out = memo_values_.data() + static_cast<std::size_t>(slot) * 2 * m;
    find(k, out, out + m);
    memo_key_[slot] = k;
    memo_valid_[slot] = true;
    memo_recent_ = slot;
    return out;
  }

  // Descends from the deepest cached node containing k until k is an end of the node or its midpoint. A cached
  // node keeps both halves once split, so moving from its left half to its right one draws nothing: a forward sweep
  // draws every node once.
  void find(std::uint64_t k, double* w, double* b) {
    const std::size_t m = dimension_;
    std::size_t d = cached_;
    while (d > 0 && (k < levels_[d].low || k > levels_[d].high)) --d;
    for (;;) {
      Level& node = levels_[d];
      if (k == node.low || k == node.high) {
        const bool low = k == node.low;
        for (std::size_t c = 0; c < m; ++c) {
          w[c] = at(d, low ? w_low : w_high, c);
          b[c] = at(d, low ? b_low : b_high, c);
        }
        cached_ = std::max(cached_, d);
        return;
      }
      const std::uint64_t mid = node.low + (node.high - node.low) / 2;
      if (!node.split) split(d);
      // The half that holds k; at k == mid the right one, where forward steps go next.
      const bool right = k >= mid;
      for (std::size_t c = 0; c < m; ++c) {
        at(d + 1, w_low, c) = right ? at(d, w_mid, c) : at(d, w_low, c);
        at(d + 1, w_high, c) = right ? at(d, w_high, c) : at(d, w_mid, c);
        at(d + 1, w_inc, c) = right ? at(d, w_right, c) : at(d, w_left, c);
        at(d + 1, b_low, c) = right ? at(d, b_mid, c) : at(d, b_low, c);
        at(d + 1, b_high, c) = right ? at(d, b_high, c) : at(d, b_mid, c);
        at(d + 1, b_inc, c) = right ? at(d, b_right, c) : at(d, b_left, c);
      }
      levels_[d + 1] = right ? Level{mid, node.high, false} : Level{node.low, mid, false};
      cached_ = d + 1;  // deeper levels belonged to the other half or to an older path
      ++d;
    }
  }

  // Splits cached node d (heap index 2^d + low / 2^(L − d)) at its midpoint: the bridge formulas of the header.
  void split(std::size_t d) {
    Level& node = levels_[d];
    const std::uint64_t span = node.high - node.low;
    draw_node((std::uint64_t{1} << d) + (node.low >> (depth_ - static_cast<int>(d))), d);
    const double h = static_cast<double>(span) * inverse_leaves_;
    const double s = static_cast<double>(node.low) * inverse_leaves_;
    const double t = static_cast<double>(node.low + span / 2) * inverse_leaves_;
    const double z_scale = z_scales_[d];
    const double n_scale = n_scales_[d];
    for (std::size_t c = 0; c < dimension_; ++c) {
      const double z = z_scale * z1_[c];
      const double n = n_scale * z2_[c];
      const double w_half = 0.5 * at(d, w_inc, c);
      const double w_skew = 1.5 / h * at(d, b_inc, c) + z;
      const double b_half = at(d, b_inc, c) / 8.0 - 0.25 * h * z;
      const double b_skew = 0.25 * h * n;
      const double w_s = at(d, w_low, c);
      const double w_st = w_half + w_skew;
      const double w_t = w_s + w_st;
      const double b_st = b_half + b_skew;
      at(d, w_left, c) = w_st;
      at(d, w_right, c) = w_half - w_skew;
      at(d, b_left, c) = b_st;
      at(d, b_right, c) = b_half - b_skew;
      at(d, w_mid, c) = w_t;
      at(d, b_mid, c) = at(d, b_low, c) + b_st + 0.5 * (t * w_s - s * w_t);
    }
    node.split = true;
  }

  std::uint64_t seed_;
  std::uint64_t particle_;
  double t0_;
  double t1_;
  int depth_;
  std::size_t dimension_;
  double sqrt_length_ = 1.0;
  double inverse_leaves_ = 1.0;   // 2^-depth
  double leaves_double_ = 1.0;    // 2^depth
  double grid_per_time_ = 1.0;    // 2^depth / (t1 − t0)
  std::vector<double> z_scales_;  // √(h (v − 3/16)) for a node of each level, h = 2^-level
  std::vector<double> n_scales_;  // √(h / 12)
  std::vector<Level> levels_;     // the cached path, levels 0 … cached_
  std::vector<double> values_;    // its values, (depth + 1) × fields × dimension
  std::size_t cached_ = 0;
  std::vector<double> z1_, z2_;  // one node's normals
  std::vector<double> memo_values_;
  std::uint64_t memo_key_[2] = {0, 0};
  bool memo_valid_[2] = {false, false};
  int memo_recent_ = 0;
  std::uint64_t blocks_ = 0;
  // Per level: the run of nodes whose normals are buffered (run_first_ … + run_nodes − 1; no_run: none) and the
  // last node drawn, to see a forward sweep.
  static constexpr std::size_t run_nodes = 4;
  static constexpr std::uint64_t no_run = ~std::uint64_t{0};
  std::vector<std::uint64_t> run_first_;
  std::vector<std::uint64_t> last_drawn_;
  std::vector<double> run_z1_, run_z2_;  // depth × dimension × run_nodes each
};

/// The virtual Brownian tree (see BasicBrownianTree).
using BrownianTree = BasicBrownianTree<0.25>;

}  // namespace sdekit
