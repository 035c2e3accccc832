#pragma once
// Boundaries of SDE ensembles: a component confined to an interval whose ends absorb (the run stops on the
// boundary, a first passage) or reflect (the step is mirrored back inside). Applied after every step of
// simulate_controlled_ensemble; reflection of an Euler step of Brownian motion is exact (|x + ΔW| has the reflected
// law), absorption at discrete times misses crossings between them (a bias of order √dt, Broadie, Glasserman & Kou
// 1997: the barrier seen is shifted by ≈ 0.5826 σ √dt).
#include <sdekit/core/errors.hpp>
#include <sdekit/core/state.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace sdekit {

/// What happens to a run that reaches an end of a Boundary interval.
enum class BoundaryKind {
  absorbing,  ///< the component is set to the boundary and the run stops (RunOutcome::stopped)
  reflecting  ///< the component is mirrored back inside
};

/// Confines component `component` of the state to [lower, upper]; an infinite end is no boundary.
struct Boundary {
  std::size_t component = 0;                                ///< which component of the state
  double lower = -std::numeric_limits<double>::infinity();  ///< the lower end
  double upper = std::numeric_limits<double>::infinity();   ///< the upper end
  BoundaryKind lower_kind = BoundaryKind::absorbing;        ///< what the lower end does
  BoundaryKind upper_kind = BoundaryKind::absorbing;        ///< what the upper end does
};

/// An absorbing lower end at `level` for component `component`.
inline Boundary absorbing_below(double level, std::size_t component = 0) {
  return {component, level, std::numeric_limits<double>::infinity(), BoundaryKind::absorbing, BoundaryKind::absorbing};
}
/// An absorbing upper end at `level` for component `component`.
inline Boundary absorbing_above(double level, std::size_t component = 0) {
  return {component, -std::numeric_limits<double>::infinity(), level, BoundaryKind::absorbing, BoundaryKind::absorbing};
}
/// A reflecting lower end at `level` for component `component`.
inline Boundary reflecting_below(double level, std::size_t component = 0) {
  return {component, level, std::numeric_limits<double>::infinity(), BoundaryKind::reflecting, BoundaryKind::absorbing};
}
/// A reflecting upper end at `level` for component `component`.
inline Boundary reflecting_above(double level, std::size_t component = 0) {
  return {component, -std::numeric_limits<double>::infinity(), level, BoundaryKind::absorbing,
          BoundaryKind::reflecting};
}

namespace detail {

/// Checks boundaries against a state of `dimension` components; throws naming the boundary.
inline void validate_boundaries(const std::vector<Boundary>& boundaries, std::size_t dimension,
                                std::string_view where) {
  for (std::size_t b = 0; b < boundaries.size(); ++b) {
    const Boundary& B = boundaries[b];
    const std::string name = "boundaries[" + std::to_string(b) + "]";
    require(B.component < dimension, where, name + ".component", B.component,
            "must be below the state's dimension " + std::to_string(dimension));
    require(!std::isnan(B.lower) && !std::isnan(B.upper) && B.lower < B.upper, where, name + ".lower", B.lower,
            "must be below upper = " + to_text(B.upper));
  }
}

/// True when x lies inside every boundary interval (ends included).
template <class X>
bool inside_boundaries(const X& x, const std::vector<Boundary>& boundaries) {
  for (const Boundary& B : boundaries) {
    const double v = component(x, B.component);
    if (v < B.lower || v > B.upper) return false;
  }
  return true;
}

/// Applies the boundaries to x after a step; returns false when an absorbing end was reached (x is put on it).
template <class X>
bool apply_boundaries(X& x, const std::vector<Boundary>& boundaries) {
  bool alive = true;
  for (const Boundary& B : boundaries) {
    double v = component(x, B.component);
    // Two reflecting ends fold v into [lower, upper] with period 2(upper − lower); one folds once per violation.
    for (int folds = 0; folds < 64 && (v < B.lower || v > B.upper); ++folds) {
      if (v < B.lower) {
        if (B.lower_kind == BoundaryKind::absorbing) {
          v = B.lower;
          alive = false;
        } else v = 2 * B.lower - v;
      } else {
        if (B.upper_kind == BoundaryKind::absorbing) {
          v = B.upper;
          alive = false;
        } else v = 2 * B.upper - v;
      }
    }
    if (v < B.lower || v > B.upper) v = std::fmin(std::fmax(v, B.lower), B.upper);  // a step far beyond both ends
    set_component(x, B.component, v);
  }
  return alive;
}

}  // namespace detail
}  // namespace sdekit
