#pragma once
// Distances between two sample sets, to score samplers against exact samples: the energy distance of
// Székely & Rizzo and the sliced 2-Wasserstein distance. Samples are the columns of a matrix; columns containing
// NaN (failed particles) are skipped. Both are computed in a fixed order, so they do not depend on threads.
#include <Eigen/Core>

#include <cstddef>
#include <cstdint>

namespace sdekit {

/// The energy distance 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖ (≥ 0, zero iff the laws agree) with U-statistics for the
/// within-sample terms, so it is unbiased and can come out slightly negative for equal laws. O(n²) time.
double energy_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

/// The sliced 2-Wasserstein distance sqrt(E_θ W₂²(θᵀX, θᵀY)) over `projections` directions θ uniform on the
/// sphere (drawn from RandomStream(seed, p)); the 1-D W₂ matches quantiles at the midpoints of max(n_a, n_b) ranks.
double sliced_wasserstein(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, std::size_t projections = 128,
                          std::uint64_t seed = 0);

}  // namespace sdekit
