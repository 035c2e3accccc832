#pragma once
// Counter-based noise. Every Gaussian is a pure function of (seed, particle, step, component):
// Philox4x32-10 keyed by (particle, seed), counter (component, step / 2, seed high bits, (step / 2) high bits),
// Box–Muller on the two 64-bit words of the output: r·cos θ is step 2j, r·sin θ step 2j+1 (so a scalar SDE
// pays one Philox call and one log per two steps). log, sin and cos are the library's own branch-free kernels,
// vectorised with AVX-512 or AVX2 where the CPU has it and bitwise equal to the portable scalar code everywhere.
// Nothing here has hidden state that depends on the order of calls, which is what makes ensembles bitwise reproducible
// for any thread count.
#include <sdekit/core/errors.hpp>
#include <sdekit/core/increment.hpp>
#include <sdekit/core/state.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace sdekit {

/// The Philox4x32-10 block function (Salmon et al. 2011), as Random123 defines it: 4 words out per counter.
std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

/// The Philox counter spaces: each kind of normal has its own, so adding one kind never changes another's bits.
enum class NoiseSpace : std::uint32_t {
  wiener = 0,           ///< the Wiener increments ΔW of each step
  step_integrals = 1,   ///< the extra normals of a step's time integrals and Lévy areas (see core/increment.hpp)
  discrete_wiener = 2,  ///< the discrete stand-ins for ΔW/√h of IncrementLaw::two_point and three_point
  discrete_step_integrals = 3,  ///< the two-point stand-ins for the extra normals under a discrete law
  brownian_tree = 4,  ///< BrownianTree's node normals: "steps" 2n and 2n+1 are node n's (core/brownian_tree.hpp)
};

/// The standard normal Z(seed, particle, step, component) of counter space `space`. particle < 2^32, step < 2^63.
double standard_normal(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::uint32_t component,
                       NoiseSpace space = NoiseSpace::wiener);

/// Z(seed, particle, step, c) for c = 0 … count−1, written to out[c].
void standard_normals(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::size_t count, double* out,
                      NoiseSpace space = NoiseSpace::wiener);

/// The block kernel for one step: Z(seed, first_particle + p, step, c) for p < particles, c < components,
/// written component-major to out[c * particles + p]. Vectorised across particles; bitwise equal to
/// standard_normal for every entry.
void standard_normals_block(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles, std::uint64_t step,
                            std::size_t components, double* out);

/// Two steps at once, what ensembles use: Z(seed, first_particle + p, 2·step_pair, c) to even[c * particles + p]
/// and Z(seed, first_particle + p, 2·step_pair + 1, c) to odd[c * particles + p]; either pointer may be null.
void standard_normals_block_pair(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                                 std::uint64_t step_pair, std::size_t components, double* even, double* odd,
                                 NoiseSpace space = NoiseSpace::wiener);

/// Both normals of one Philox block: Z(seed, particle, 2·step_pair, c) to even[c] and Z(…, 2·step_pair + 1, c) to
/// odd[c] for c < components — standard_normals_block_pair for one particle, without its block machinery (what the
/// Brownian tree draws per node).
void standard_normal_pairs(std::uint64_t seed, std::uint64_t particle, std::uint64_t step_pair, std::size_t components,
                           double* even, double* odd, NoiseSpace space = NoiseSpace::wiener);

/// Both normals of `pairs` consecutive Philox blocks of one particle and component: Z(seed, particle, 2 (first_pair +
/// i), component) to even[i] and Z(…, 2 (first_pair + i) + 1, component) to odd[i] for i < pairs, bitwise equal to
/// standard_normal_pairs, vectorised across the blocks (AVX2 when the CPU has it): the Brownian tree draws a level's
/// next nodes so during a forward sweep.
void standard_normal_pair_run(std::uint64_t seed, std::uint64_t particle, std::uint64_t first_pair, std::size_t pairs,
                              std::uint32_t component, double* even, double* odd,
                              NoiseSpace space = NoiseSpace::wiener);

/// The standardised (mean 0, variance 1) discrete variable of `law` (two_point or three_point) for (seed, particle,
/// step, component) on counter space `space`: ΔW = √h times it. A pure function of its arguments, like
/// standard_normal; component < 2^31, step < 2^63.
double discrete_variable(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::uint32_t component,
                         IncrementLaw law, NoiseSpace space = NoiseSpace::discrete_wiener);

/// discrete_variable for particles first_particle … + particles − 1 and steps 2·step_pair (to even) and
/// 2·step_pair + 1 (to odd), component-major like standard_normals_block_pair; either pointer may be null.
void discrete_variables_block_pair(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                                   std::uint64_t step_pair, std::size_t components, IncrementLaw law, double* even,
                                   double* odd, NoiseSpace space = NoiseSpace::discrete_wiener);

/// A per-particle stream of random numbers for everything that is not a Wiener increment (initial states,
/// event times of jump processes). Draw j of stream s is a pure function of (seed, particle, s, j).
class RandomStream {
 public:
  /// The stream `stream` (< 2^30; the streams from 2^30 on are BrownianTree's counter space) of particle `particle`
  /// under `seed`.
  RandomStream(std::uint64_t seed, std::uint64_t particle, std::uint32_t stream = 0);

  /// 64 random bits. Inline, with the Philox call out of line: jump processes draw twice per event.
  std::uint64_t next_u64() {
    if (used_ >= buffer_words) refill();
    const std::uint64_t value = (std::uint64_t{buffer_[used_ + 1]} << 32) | buffer_[used_];
    used_ += 2;
    return value;
  }
  /// A uniform double in (0, 1) (never 0 or 1: safe under log): (m + ½)·2^-52 with m < 2^52 is exact.
  double uniform() { return (static_cast<double>(next_u64() >> 12) + 0.5) * 0x1p-52; }
  /// A standard normal draw.
  double normal();
  /// An exponential draw with rate 1.
  double exponential() { return -std::log(uniform()); }
  /// How many 4-word Philox blocks have been generated so far (a multiple of 4: they are made four at a time).
  std::uint64_t blocks_drawn() const { return block_; }

 private:
  // Philox blocks are generated a few at a time: their rounds are a serial chain, and independent blocks let the
  // CPU overlap them. The draws are the same as one block at a time.
  static constexpr int blocks_per_refill = 4;
  static constexpr int buffer_words = 4 * blocks_per_refill;
  void refill();  // the next blocks_per_refill Philox blocks into buffer_

  std::array<std::uint32_t, 2> key_;
  std::uint32_t seed_high_;
  std::uint32_t stream_;
  std::uint64_t block_ = 0;
  std::array<std::uint32_t, buffer_words> buffer_{};
  int used_ = buffer_words;  // words of buffer_ already handed out
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

namespace detail {
/// The natural log Box–Muller uses (fdlibm's algorithm, branch-free), for positive normal doubles.
double box_muller_log(double x);
/// sin and cos of the angle 2π·turns53·2^-53 (turns53 < 2^53), as Box–Muller uses them.
void box_muller_sincos(std::uint64_t turns53, double& sin_out, double& cos_out);
/// box_muller_log of n values through the vector kernel when the CPU has AVX2 (bitwise equal to the scalar one).
void box_muller_log_block(const double* x, std::size_t n, double* out);
/// box_muller_sincos of n angles through the vector kernel when the CPU has AVX2.
void box_muller_sincos_block(const std::uint64_t* turns53, std::size_t n, double* sin_out, double* cos_out);
/// True when this CPU can run the AVX2 path (the block kernels take AVX-512 instead where the CPU has that).
bool noise_uses_avx2();
/// The implementations of the block kernels; all give the same bits.
enum class NoisePath {
  portable,  ///< scalar C++, every CPU
  avx2,      ///< four particles per vector
  avx512,    ///< eight particles per vector (AVX-512F)
};
/// The path the block kernels take on this CPU (the widest it supports).
NoisePath noise_path();
/// True when this CPU can run `path`.
bool noise_path_available(NoisePath path);
/// "portable", "AVX2" or "AVX-512".
std::string_view noise_path_name(NoisePath path);
/// standard_normals_block through one chosen path, for comparing the paths; throws std::invalid_argument if the CPU
/// cannot run it.
void standard_normals_block_on(NoisePath path, std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                               std::uint64_t step, std::size_t components, double* out);
/// standard_normals_block through the portable scalar path only, for comparing the two paths.
void standard_normals_block_portable(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                                     std::uint64_t step, std::size_t components, double* out);

/// A state of the shape of `like` with independent standard normal components from rng.
template <class X>
X standard_normal_state(RandomStream& rng, const X& like) {
  if constexpr (std::is_same_v<X, double>) {
    (void)like;
    return rng.normal();
  } else {
    X z = like;
    for (Eigen::Index i = 0; i < z.size(); ++i) z[i] = rng.normal();
    return z;
  }
}

/// Fills the increment of step `step` (length dt) of (seed, particle), of any increment type, already sized.
/// Gaussian law: ΔW = sqrt(dt)·Z(seed, particle, step, ·) from the Wiener space, and the extra step integrals from the
/// normals Z(seed, particle, step, ·) of the step-integral space (see complete_increment, with Lévy areas by `area`).
/// Discrete laws: ΔW = sqrt(dt)·D(seed, particle, step, ·) with D the law's standardised variable from the discrete
/// Wiener space, and the extra variables two-point ±1 from the discrete step-integral space (Lévy areas by Davie's
/// formula, whose first two moments are all a weak scheme may use).
template <class Inc>
void fill_increment(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, double dt, Inc& inc,
                    IncrementLaw law = IncrementLaw::gaussian, LevyAreaAlgorithm area = default_levy_area) {
  if constexpr (std::is_arithmetic_v<Inc>) {
    inc = std::sqrt(dt) * (law == IncrementLaw::gaussian ? standard_normal(seed, particle, step, 0)
                                                         : discrete_variable(seed, particle, step, 0, law));
  } else if constexpr (is_eigen_v<Inc>) {
    if (law == IncrementLaw::gaussian)
      standard_normals(seed, particle, step, static_cast<std::size_t>(inc.size()), inc.data());
    else
      for (Eigen::Index c = 0; c < inc.size(); ++c)
        inc[c] = discrete_variable(seed, particle, step, static_cast<std::uint32_t>(c), law);
    inc *= std::sqrt(dt);
  } else {
    fill_increment(seed, particle, step, dt, inc.dW, law, area);
    if (law == IncrementLaw::gaussian)
      complete_increment(
          inc, dt,
          [&](std::size_t c) {
            return standard_normal(seed, particle, step, static_cast<std::uint32_t>(c), NoiseSpace::step_integrals);
          },
          area);
    else
      complete_increment(
          inc, dt,
          [&](std::size_t c) {
            return discrete_variable(seed, particle, step, static_cast<std::uint32_t>(c), IncrementLaw::two_point,
                                     NoiseSpace::discrete_step_integrals);
          },
          LevyAreaAlgorithm::davie);
  }
}

/// Fills an increment (already sized) for a step of length dt from a RandomStream: ΔW's normals first, one per
/// Wiener process, then the extra normals of complete_increment.
template <class Inc>
void draw_increment(RandomStream& rng, double dt, Inc& inc) {
  if constexpr (std::is_arithmetic_v<Inc>) {
    inc = std::sqrt(dt) * rng.normal();
  } else if constexpr (is_eigen_v<Inc>) {
    for (Eigen::Index i = 0; i < inc.size(); ++i) inc[i] = rng.normal();
    inc *= std::sqrt(dt);
  } else {
    draw_increment(rng, dt, inc.dW);
    complete_increment(inc, dt, [&](std::size_t) { return rng.normal(); });
  }
}
}  // namespace detail

/// A noise source of independent Wiener increments: step k of length dt gets sqrt(dt)·Z(seed, particle, k, ·), and,
/// for steppers that ask for them, the step's I_(1,0) and Lévy areas from the step-integral counter space.
/// This is exactly the noise an ensemble gives particle `particle`.
class GaussianNoise {
 public:
  /// Increments for particle `particle` of the run with this seed, Lévy areas (if asked for) by `area`.
  explicit GaussianNoise(std::uint64_t seed, std::uint64_t particle = 0, LevyAreaAlgorithm area = default_levy_area)
      : seed_(seed), particle_(particle), area_(area) {}

  /// The noise-source call: fills the increment (of any type in core/increment.hpp) of step `step` over [t, t + dt].
  template <class Inc>
  void operator()(std::uint64_t step, double /*t*/, double dt, Inc& inc) const {
    detail::fill_increment(seed_, particle_, step, dt, inc, IncrementLaw::gaussian, area_);
  }

  std::uint64_t seed() const { return seed_; }           ///< the seed
  std::uint64_t particle() const { return particle_; }   ///< the particle index
  LevyAreaAlgorithm levy_area() const { return area_; }  ///< the Lévy-area algorithm

 private:
  std::uint64_t seed_;
  std::uint64_t particle_;
  LevyAreaAlgorithm area_;
};

/// A noise source for weak schemes: ΔW of step k is √dt times a discrete variable (three-point by default, see
/// IncrementLaw), a pure function of (seed, particle, k) on its own counter spaces. I_(1,0) = dt (ΔW/2 + √(dt/12) ε)
/// with ε = ±1 and Davie's areas from two-point variables match the Brownian moments weak schemes use. This is
/// exactly the noise an ensemble with EnsembleOptions::increment_law = law gives particle `particle`.
class DiscreteNoise {
 public:
  /// Discrete increments of `law` (two_point or three_point) for particle `particle` of the run with this seed.
  explicit DiscreteNoise(std::uint64_t seed, std::uint64_t particle = 0, IncrementLaw law = IncrementLaw::three_point)
      : seed_(seed), particle_(particle), law_(law) {
    detail::require(law != IncrementLaw::gaussian, "sdekit::DiscreteNoise", "law", "gaussian",
                    "must be two_point or three_point (GaussianNoise gives Gaussian increments)");
  }

  /// The noise-source call: fills the increment (of any type in core/increment.hpp) of step `step` over [t, t + dt].
  template <class Inc>
  void operator()(std::uint64_t step, double /*t*/, double dt, Inc& inc) const {
    detail::fill_increment(seed_, particle_, step, dt, inc, law_);
  }

  std::uint64_t seed() const { return seed_; }          ///< the seed
  std::uint64_t particle() const { return particle_; }  ///< the particle index
  IncrementLaw law() const { return law_; }             ///< the law of the increments

 private:
  std::uint64_t seed_;
  std::uint64_t particle_;
  IncrementLaw law_;
};

/// One Brownian path on a fine grid t0 + i·h. The increment over any interval whose ends lie on the grid is built
/// from the fine increments inside it, so the same path can be integrated with any dt that is a multiple of h —
/// what strong-order tests need. ΔW is the sum of the fine ΔW in grid order; I_(1,0) and the Lévy areas follow
/// exactly by Chen's relation: over [s, u] split at v,
///   I_(1,0)(s,u) = I_(1,0)(s,v) + I_(1,0)(v,u) + (u − v)·ΔW(s,v)
///   A_jk(s,u)    = A_jk(s,v) + A_jk(v,u) + ½ (ΔW_j(s,v) ΔW_k(v,u) − ΔW_k(s,v) ΔW_j(v,u)).
/// The fine steps are GaussianNoise(seed, particle, area)'s steps of length h: their Lévy areas come from `area` with
/// the truncation chosen for h, and the coarse areas are exact compositions of those.
class BrownianPath {
 public:
  /// The path of `dimension` Wiener processes for (seed, particle) on the grid t0 + i·fine_dt.
  BrownianPath(std::uint64_t seed, double t0, double fine_dt, std::size_t dimension = 1, std::uint64_t particle = 0,
               LevyAreaAlgorithm area = default_levy_area)
      : seed_(seed), particle_(particle), t0_(t0), h_(fine_dt), dimension_(dimension), area_(area) {
    detail::require(std::isfinite(fine_dt) && fine_dt > 0, "sdekit::BrownianPath", "fine_dt", fine_dt,
                    "must be positive and finite");
    detail::require(dimension >= 1, "sdekit::BrownianPath", "dimension", dimension, "must be at least 1");
  }

  double t0() const { return t0_; }                      ///< start of the grid
  double fine_dt() const { return h_; }                  ///< the fine step h
  std::size_t dimension() const { return dimension_; }   ///< number of Wiener processes
  LevyAreaAlgorithm levy_area() const { return area_; }  ///< the Lévy-area algorithm of the fine steps

  /// Draws the first `fine_steps` fine steps once and keeps them (ΔW, and the step-integral normals): later queries
  /// inside them cost additions only. The values are the same with or without the cache.
  BrownianPath& cache(std::size_t fine_steps) {
    const auto m = static_cast<Eigen::Index>(dimension_);
    // Enough normals for the richest increment (Lévy areas) a query may ask for.
    const auto extra = static_cast<Eigen::Index>(
        detail::extra_normal_count<LevyAreaIncrement<Eigen::VectorXd>>(dimension_, h_, area_));
    fine_dW_.resize(m, static_cast<Eigen::Index>(fine_steps));
    fine_extra_.resize(extra, static_cast<Eigen::Index>(fine_steps));
    for (std::size_t i = 0; i < fine_steps; ++i) {
      const auto col = static_cast<Eigen::Index>(i);
      standard_normals(seed_, particle_, i, dimension_, fine_dW_.col(col).data());
      fine_dW_.col(col) *= std::sqrt(h_);
      standard_normals(seed_, particle_, i, static_cast<std::size_t>(extra), fine_extra_.col(col).data(),
                       NoiseSpace::step_integrals);
    }
    return *this;
  }

  /// The fine Wiener increments, dimension × fine_steps, after cache(fine_steps); empty before.
  const Eigen::MatrixXd& fine_increments() const { return fine_dW_; }

  /// Grid index of time t; throws unless t lies on the grid (within 1e-9·h), calling t `name` in the message.
  std::uint64_t index_of(double t, std::string_view name = "t") const {
    const double steps = (t - t0_) / h_;
    const double nearest = std::round(steps);
    detail::require(nearest >= 0 && std::abs(steps - nearest) <= 1e-9 * std::max(1.0, nearest), "sdekit::BrownianPath",
                    name, t, "is not on the path's grid t0 + i*fine_dt (fine_dt = " + detail::to_text(h_) + ")");
    return static_cast<std::uint64_t>(nearest);
  }

  /// The increment (of any type in core/increment.hpp, already sized) between grid indices i0 ≤ i1.
  template <class Inc>
  void increment(std::uint64_t i0, std::uint64_t i1, Inc& inc) const {
    auto& dW = wiener_part(inc);
    detail::require(wiener_dimension(dW) == dimension_, "sdekit::BrownianPath::increment", "dW.size()",
                    wiener_dimension(dW), "must equal the path's dimension " + detail::to_text(dimension_));
    detail::require(i0 <= i1, "sdekit::BrownianPath::increment", "i1", i1,
                    "must not be below i0 = " + detail::to_text(i0));
    using W = std::remove_cvref_t<decltype(dW)>;
    Inc fine = inc;
    inc = make_zero_increment<Inc>(dimension_);
    for (std::uint64_t i = i0; i < i1; ++i) {
      fine_step(i, fine);
      if constexpr (information_of_v<Inc> != NoiseInformation::wiener) {
        const W& before = inc.dW;  // ΔW from i0 up to fine step i, for Chen's relation
        if constexpr (information_of_v<Inc> == NoiseInformation::levy_area && !std::is_arithmetic_v<W>) {
          for (std::size_t j = 0; j < dimension_; ++j)
            for (std::size_t k = 0; k < dimension_; ++k) {
              const auto jj = static_cast<Eigen::Index>(j), kk = static_cast<Eigen::Index>(k);
              inc.A(jj, kk) += fine.A(jj, kk) + 0.5 * (before[jj] * fine.dW[kk] - before[kk] * fine.dW[jj]);
            }
        }
        inc.I10 += fine.I10 + h_ * before;
        inc.dW += fine.dW;
      } else {
        inc += fine;
      }
    }
  }

  /// The noise-source call: the increment over [t, t + dt]; both ends must lie on the grid.
  template <class Inc>
  void operator()(std::uint64_t /*step*/, double t, double dt, Inc& inc) const {
    const std::uint64_t start = index_of(t);
    increment(start, index_of(t + dt, "t + dt"), inc);
  }

  /// W(t) − W(t0) for t on the grid, component `component`.
  double value(double t, std::size_t component = 0) const {
    detail::require(component < dimension_, "sdekit::BrownianPath::value", "component", component,
                    "must be below the path's dimension " + detail::to_text(dimension_));
    const std::uint64_t n = index_of(t);
    double w = 0.0;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (i < static_cast<std::uint64_t>(fine_dW_.cols()))
        w += fine_dW_(static_cast<Eigen::Index>(component), static_cast<Eigen::Index>(i));
      else w += std::sqrt(h_) * standard_normal(seed_, particle_, i, static_cast<std::uint32_t>(component));
    }
    return w;
  }

 private:
  // Fine step i as an increment of type Inc: from the cache where it holds step i, else drawn.
  template <class Inc>
  void fine_step(std::uint64_t i, Inc& fine) const {
    if (i >= static_cast<std::uint64_t>(fine_dW_.cols())) {
      detail::fill_increment(seed_, particle_, i, h_, fine, IncrementLaw::gaussian, area_);
      return;
    }
    const auto col = static_cast<Eigen::Index>(i);
    auto& dW = wiener_part(fine);
    if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(dW)>>) dW = fine_dW_(0, col);
    else dW = fine_dW_.col(col);
    detail::complete_increment(
        fine, h_, [&](std::size_t c) { return fine_extra_(static_cast<Eigen::Index>(c), col); }, area_);
  }

  std::uint64_t seed_;
  std::uint64_t particle_;
  double t0_;
  double h_;
  std::size_t dimension_;
  LevyAreaAlgorithm area_;
  Eigen::MatrixXd fine_dW_;     // cached fine ΔW, dimension × steps
  Eigen::MatrixXd fine_extra_;  // cached step-integral normals, one column per fine step
};

}  // namespace sdekit
