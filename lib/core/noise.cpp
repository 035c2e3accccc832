// The counter-based Gaussian generator. One definition of the bits serves the scalar calls and the block kernel,
// so a particle's noise does not depend on how it was asked for.
//
// Box–Muller needs log, sqrt, sin and cos. sqrt is correctly rounded everywhere; log, sin and cos are our own
// branch-free kernels (fdlibm's polynomials) written twice, once in scalar C++ and once with AVX2 intrinsics,
// performing the same IEEE operations in the same order, and a third time with AVX-512F. This file is compiled
// with -ffp-contract=off, so no path fuses a multiply and an add, and all give the same bits: which path ran
// (AVX-512 or AVX2 on a new x86-64, the portable one elsewhere, the scalar tail of a block) never shows in the
// results. Each vector function carries its own target attribute and runs only after __builtin_cpu_supports says
// the CPU has it, so the library is built for baseline x86-64.
#include <sdekit/core/noise.hpp>

#include <Random123/philox.h>

#include <bit>
#include <cmath>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SDEKIT_NOISE_X86 1
#endif

namespace sdekit {
namespace {

constexpr double two_to_minus_53 = 1.0 / 9007199254740992.0;
constexpr double two_to_52 = 4503599627370496.0;
constexpr std::uint64_t exponent_of_two_to_52 =
    0x4330000000000000ull;  // bits of 2^52: or-ing in m < 2^52 gives 2^52 + m
constexpr std::uint64_t exponent_of_one = 0x3ff0000000000000ull;
constexpr std::uint64_t mantissa_mask = 0x000fffffffffffffull;

// fdlibm e_log.c
constexpr double ln2_hi = 6.93147180369123816490e-01;
constexpr double ln2_lo = 1.90821492927058770002e-10;
constexpr double lg1 = 6.666666666666735130e-01;
constexpr double lg2 = 3.999999999940941908e-01;
constexpr double lg3 = 2.857142874366239149e-01;
constexpr double lg4 = 2.222219843214978396e-01;
constexpr double lg5 = 1.818357216161805012e-01;
constexpr double lg6 = 1.531383769920937332e-01;
constexpr double lg7 = 1.479819860511658591e-01;
constexpr double sqrt2 = 1.41421356237309504880;
// fdlibm k_sin.c / k_cos.c, valid on |x| ≤ π/4
constexpr double s1 = -1.66666666666666324348e-01;
constexpr double s2 = 8.33333333332248946124e-03;
constexpr double s3 = -1.98412698298579493134e-04;
constexpr double s4 = 2.75573137070700676789e-06;
constexpr double s5 = -2.50507602534068634195e-08;
constexpr double s6 = 1.58969099521155010221e-10;
constexpr double c1 = 4.16666666666666019037e-02;
constexpr double c2 = -1.38888888888741095749e-03;
constexpr double c3 = 2.48015872894767294178e-05;
constexpr double c4 = -2.75573143513906633035e-07;
constexpr double c5 = 2.08757232129817482790e-09;
constexpr double c6 = -1.13596475577881948265e-11;
// A quarter turn is 2^51 units of the 53-bit angle; one unit is (π/2)·2^-51 = π·2^-52 radians (exact scaling).
constexpr double radians_per_unit = 3.14159265358979311600 / two_to_52;
constexpr std::uint64_t quarter_units = std::uint64_t{1} << 51;
constexpr std::uint64_t eighth_units = std::uint64_t{1} << 50;

constexpr std::uint32_t philox_m0 = 0xD2511F53u, philox_m1 = 0xCD9E8D57u;
constexpr std::uint32_t philox_w0 = 0x9E3779B9u, philox_w1 = 0xBB67AE85u;

void check_indices(std::uint64_t particle, std::uint64_t step, const char* where) {
  detail::require(particle <= std::numeric_limits<std::uint32_t>::max(), where, "particle", particle,
                  "must be below 2^32");
  detail::require(step < (std::uint64_t{1} << 63), where, "step", step, "must be below 2^63");
}

std::array<std::uint32_t, 2> key_of(std::uint64_t seed, std::uint64_t particle) {
  return {static_cast<std::uint32_t>(particle), static_cast<std::uint32_t>(seed)};
}

// Steps 2j and 2j+1 of one component share a Philox block: its first 64-bit word (through the radius) and its
// second (through the angle) give cos for the even step and sin for the odd one. A scalar SDE thus spends one
// Philox call and one log per two steps. The top bit of word 3 stays 0 (j < 2^62), which keeps these counters
// apart from RandomStream's.
// Bit 30 of word 3 (free since j < 2^62) and bit 31 of word 0 (free since components stay below 2^31) select the
// counter space: 0 for the Wiener increments, 1 for the extra step integrals (space-time and Lévy areas), 2 and 3 for
// the discrete variables of the same two roles, so adding a space never changes the bits of another.
// The Brownian tree's node normals take word 3's top two bits (1, 1): RandomStream's streams stop below 2^30, so
// that corner of its half of the counters is free, and the four spaces above keep their bits.
std::array<std::uint32_t, 4> pair_counter(std::uint64_t seed, std::uint64_t step_pair, std::uint32_t component,
                                          NoiseSpace space = NoiseSpace::wiener) {
  if (space == NoiseSpace::brownian_tree)
    return {component, static_cast<std::uint32_t>(step_pair), static_cast<std::uint32_t>(seed >> 32),
            static_cast<std::uint32_t>(step_pair >> 32) | 0xC0000000u};
  const auto code = static_cast<std::uint32_t>(space);
  return {component | ((code >> 1) << 31), static_cast<std::uint32_t>(step_pair),
          static_cast<std::uint32_t>(seed >> 32), static_cast<std::uint32_t>(step_pair >> 32) | ((code & 1u) << 30)};
}

void check_components(std::size_t components, const char* where) {
  detail::require(components < (std::size_t{1} << 31), where, "components", components, "must be below 2^31");
}

// The standardised discrete variable of `law` from 32 random bits: three-point √3·{−1, 0, 1} with probabilities
// 1/6, 2/3, 1/6 (the top three of six equal slices of [0, 2^32): bias below 2^-32), two-point ±1 from the top bit.
double discrete_from_bits(std::uint32_t bits, IncrementLaw law) {
  if (law == IncrementLaw::two_point) return (bits >> 31) ? 1.0 : -1.0;
  const std::uint64_t slice = (std::uint64_t{bits} * 6) >> 32;  // 0 … 5
  constexpr double sqrt3 = 1.7320508075688772935;
  return slice == 0 ? -sqrt3 : (slice == 5 ? sqrt3 : 0.0);
}

// ---- portable scalar kernels (the reference definition of the bits) ----

double log_scalar(double x) {
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  double m = std::bit_cast<double>((bits & mantissa_mask) | exponent_of_one);  // [1, 2)
  double e = std::bit_cast<double>((bits >> 52) | exponent_of_two_to_52) - (two_to_52 + 1023.0);
  const bool big = m > sqrt2;  // move m to [√2/2, √2) so that f is small on both sides of 1
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double w = z * z;
  const double t1 = w * (lg2 + w * (lg4 + w * lg6));
  const double t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
  const double r = t2 + t1;
  const double hfsq = 0.5 * f * f;
  return e * ln2_hi - ((hfsq - (s * (hfsq + r) + e * ln2_lo)) - f);
}

void sincos_scalar(std::uint64_t turns53, double& sin_out, double& cos_out) {
  const std::uint64_t quadrant = turns53 >> 51;
  const std::uint64_t rest = turns53 & (quarter_units - 1);
  const bool flip = rest > eighth_units;  // measure from the nearer quadrant end: |a| ≤ π/4, exact reflection
  const std::uint64_t units = flip ? quarter_units - rest : rest;
  const double a = (std::bit_cast<double>(units | exponent_of_two_to_52) - two_to_52) * radians_per_unit;
  const double z = a * a;
  const double sin_a = a + (z * a) * (s1 + z * (s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))));
  const double r = z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))));
  // fdlibm's cos kernel: subtracting a truncated a/4 first keeps the error below one ulp for a ≥ 0.3.
  const double quarter =
      std::bit_cast<double>((std::bit_cast<std::uint64_t>(a) & 0xffffffff00000000ull) - 0x0020000000000000ull);
  double qx = a > 0.78125 ? 0.28125 : quarter;
  qx = a < 0.3 ? 0.0 : qx;
  const double hz = 0.5 * z - qx;
  const double cos_a = (1.0 - qx) - (hz - z * r);
  const bool swap = flip != ((quadrant & 1) != 0);
  const double s = swap ? cos_a : sin_a;
  const double c = swap ? sin_a : cos_a;
  const std::uint64_t sin_sign = (quadrant >> 1) << 63;
  const std::uint64_t cos_sign = ((quadrant ^ (quadrant >> 1)) & 1) << 63;
  sin_out = std::bit_cast<double>(std::bit_cast<std::uint64_t>(s) ^ sin_sign);
  cos_out = std::bit_cast<double>(std::bit_cast<std::uint64_t>(c) ^ cos_sign);
}

// u1 = (m + ½)·2^-52 with m the top 52 bits of the first word: in (0, 1), never 0, so the log is finite.
double radius_scalar(std::uint32_t w0, std::uint32_t w1) {
  const std::uint64_t m = (std::uint64_t{w1} << 20) | (w0 >> 12);
  const double u1 = (std::bit_cast<double>(m | exponent_of_one) - 1.0) + two_to_minus_53;
  return std::sqrt(-2.0 * log_scalar(u1));
}

std::uint64_t turns_of(std::uint32_t w2, std::uint32_t w3) { return ((std::uint64_t{w3} << 32) | w2) >> 11; }

// The two normals of one Philox block: z_even = r·cos θ, z_odd = r·sin θ.
void box_muller(const std::array<std::uint32_t, 4>& w, double& z_even, double& z_odd) {
  const double r = radius_scalar(w[0], w[1]);
  double s, c;
  sincos_scalar(turns_of(w[2], w[3]), s, c);
  z_even = r * c;
  z_odd = r * s;
}

// Steps 2j (even, may be null) and 2j+1 (odd, may be null) for particles [first, first + n), component-major
// with row stride `stride`, particles from index `offset` within the row.
void block_portable(std::uint64_t seed, std::uint64_t first, std::size_t offset, std::size_t n, std::uint64_t pair,
                    std::size_t components, std::size_t stride, double* even, double* odd, NoiseSpace space) {
  for (std::size_t c = 0; c < components; ++c) {
    const auto counter = pair_counter(seed, pair, static_cast<std::uint32_t>(c), space);
    for (std::size_t p = offset; p < offset + n; ++p) {
      double z0, z1;
      box_muller(philox4x32_10(counter, key_of(seed, first + p)), z0, z1);
      if (even) even[c * stride + p] = z0;
      if (odd) odd[c * stride + p] = z1;
    }
  }
}

#ifdef SDEKIT_NOISE_X86
// ---- AVX2 kernels: four particles per vector, the same operations as the scalar ones ----

#define SDEKIT_AVX2 __attribute__((target("avx2")))

SDEKIT_AVX2 inline __m256d as_pd(__m256i v) { return _mm256_castsi256_pd(v); }
SDEKIT_AVX2 inline __m256i as_si(__m256d v) { return _mm256_castpd_si256(v); }
SDEKIT_AVX2 inline __m256d splat(double v) { return _mm256_set1_pd(v); }
SDEKIT_AVX2 inline __m256i splat64(std::uint64_t v) { return _mm256_set1_epi64x(static_cast<long long>(v)); }
SDEKIT_AVX2 inline __m256d select(__m256d mask, __m256d yes, __m256d no) { return _mm256_blendv_pd(no, yes, mask); }

SDEKIT_AVX2 __m256d log_avx2(__m256d x) {
  const __m256i bits = as_si(x);
  __m256d m = as_pd(_mm256_or_si256(_mm256_and_si256(bits, splat64(mantissa_mask)), splat64(exponent_of_one)));
  __m256d e = _mm256_sub_pd(as_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), splat64(exponent_of_two_to_52))),
                            splat(two_to_52 + 1023.0));
  const __m256d big = _mm256_cmp_pd(m, splat(sqrt2), _CMP_GT_OQ);
  m = select(big, _mm256_mul_pd(m, splat(0.5)), m);
  e = select(big, _mm256_add_pd(e, splat(1.0)), e);
  const __m256d f = _mm256_sub_pd(m, splat(1.0));
  const __m256d s = _mm256_div_pd(f, _mm256_add_pd(splat(2.0), f));
  const __m256d z = _mm256_mul_pd(s, s);
  const __m256d w = _mm256_mul_pd(z, z);
  const __m256d t1 = _mm256_mul_pd(
      w, _mm256_add_pd(splat(lg2), _mm256_mul_pd(w, _mm256_add_pd(splat(lg4), _mm256_mul_pd(w, splat(lg6))))));
  const __m256d t2 = _mm256_mul_pd(
      z,
      _mm256_add_pd(
          splat(lg1),
          _mm256_mul_pd(w, _mm256_add_pd(splat(lg3),
                                         _mm256_mul_pd(w, _mm256_add_pd(splat(lg5), _mm256_mul_pd(w, splat(lg7))))))));
  const __m256d r = _mm256_add_pd(t2, t1);
  const __m256d hfsq = _mm256_mul_pd(_mm256_mul_pd(splat(0.5), f), f);
  const __m256d inner = _mm256_add_pd(_mm256_mul_pd(s, _mm256_add_pd(hfsq, r)), _mm256_mul_pd(e, splat(ln2_lo)));
  return _mm256_sub_pd(_mm256_mul_pd(e, splat(ln2_hi)), _mm256_sub_pd(_mm256_sub_pd(hfsq, inner), f));
}

SDEKIT_AVX2 void sincos_avx2(__m256i turns53, __m256d& sin_out, __m256d& cos_out) {
  const __m256i quadrant = _mm256_srli_epi64(turns53, 51);
  const __m256i rest = _mm256_and_si256(turns53, splat64(quarter_units - 1));
  const __m256i flip = _mm256_cmpgt_epi64(rest, splat64(eighth_units));  // values < 2^63: signed compare is fine
  const __m256i units = _mm256_blendv_epi8(rest, _mm256_sub_epi64(splat64(quarter_units), rest), flip);
  const __m256d a =
      _mm256_mul_pd(_mm256_sub_pd(as_pd(_mm256_or_si256(units, splat64(exponent_of_two_to_52))), splat(two_to_52)),
                    splat(radians_per_unit));
  const __m256d z = _mm256_mul_pd(a, a);
  __m256d ps = _mm256_add_pd(splat(s5), _mm256_mul_pd(z, splat(s6)));
  ps = _mm256_add_pd(splat(s4), _mm256_mul_pd(z, ps));
  ps = _mm256_add_pd(splat(s3), _mm256_mul_pd(z, ps));
  ps = _mm256_add_pd(splat(s2), _mm256_mul_pd(z, ps));
  ps = _mm256_add_pd(splat(s1), _mm256_mul_pd(z, ps));
  const __m256d sin_a = _mm256_add_pd(a, _mm256_mul_pd(_mm256_mul_pd(z, a), ps));
  __m256d pc = _mm256_add_pd(splat(c5), _mm256_mul_pd(z, splat(c6)));
  pc = _mm256_add_pd(splat(c4), _mm256_mul_pd(z, pc));
  pc = _mm256_add_pd(splat(c3), _mm256_mul_pd(z, pc));
  pc = _mm256_add_pd(splat(c2), _mm256_mul_pd(z, pc));
  pc = _mm256_add_pd(splat(c1), _mm256_mul_pd(z, pc));
  const __m256d r = _mm256_mul_pd(z, pc);
  const __m256d quarter = as_pd(
      _mm256_sub_epi64(_mm256_and_si256(as_si(a), splat64(0xffffffff00000000ull)), splat64(0x0020000000000000ull)));
  __m256d qx = select(_mm256_cmp_pd(a, splat(0.78125), _CMP_GT_OQ), splat(0.28125), quarter);
  qx = select(_mm256_cmp_pd(a, splat(0.3), _CMP_LT_OQ), splat(0.0), qx);
  const __m256d hz = _mm256_sub_pd(_mm256_mul_pd(splat(0.5), z), qx);
  const __m256d cos_a = _mm256_sub_pd(_mm256_sub_pd(splat(1.0), qx), _mm256_sub_pd(hz, _mm256_mul_pd(z, r)));
  const __m256i odd_quadrant = _mm256_cmpeq_epi64(_mm256_and_si256(quadrant, splat64(1)), splat64(1));
  const __m256d swap = as_pd(_mm256_xor_si256(flip, odd_quadrant));
  const __m256d s = select(swap, cos_a, sin_a);
  const __m256d c = select(swap, sin_a, cos_a);
  const __m256i sin_sign = _mm256_slli_epi64(_mm256_srli_epi64(quadrant, 1), 63);
  const __m256i cos_sign =
      _mm256_slli_epi64(_mm256_and_si256(_mm256_xor_si256(quadrant, _mm256_srli_epi64(quadrant, 1)), splat64(1)), 63);
  sin_out = as_pd(_mm256_xor_si256(as_si(s), sin_sign));
  cos_out = as_pd(_mm256_xor_si256(as_si(c), cos_sign));
}

// Philox4x32-10 for 4·U keys (particles) at once, one 32-bit word per 64-bit lane. Lanes may carry garbage in
// their upper halves between rounds: _mm256_mul_epu32 reads only the lower half, and the outputs are masked.
// U independent chains are interleaved because one chain is a string of dependent multiplies.
template <int U>
SDEKIT_AVX2 inline void philox_avx2(const __m256i (&key0)[U], std::uint32_t key1,
                                    const std::array<std::uint32_t, 4>& counter, __m256i (&w0)[U], __m256i (&w1)[U],
                                    __m256i (&w2)[U], __m256i (&w3)[U]) {
  __m256i x0[U], x1[U], x2[U], x3[U], k0[U];
  for (int u = 0; u < U; ++u) {
    x0[u] = splat64(counter[0]);
    x1[u] = splat64(counter[1]);
    x2[u] = splat64(counter[2]);
    x3[u] = splat64(counter[3]);
    k0[u] = key0[u];
  }
  const __m256i m0 = splat64(philox_m0), m1 = splat64(philox_m1);
  std::uint32_t k1 = key1;
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k1 += philox_w1;
    const __m256i vk1 = splat64(k1);
    for (int u = 0; u < U; ++u) {
      if (round > 0) k0[u] = _mm256_add_epi32(k0[u], splat64(philox_w0));
      const __m256i p0 = _mm256_mul_epu32(x0[u], m0);
      const __m256i p1 = _mm256_mul_epu32(x2[u], m1);
      x0[u] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1[u]), k0[u]);
      x1[u] = p1;
      x2[u] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3[u]), vk1);
      x3[u] = p0;
    }
  }
  const __m256i low = splat64(0xffffffffull);
  for (int u = 0; u < U; ++u) {
    w0[u] = _mm256_and_si256(x0[u], low);
    w1[u] = _mm256_and_si256(x1[u], low);
    w2[u] = _mm256_and_si256(x2[u], low);
    w3[u] = _mm256_and_si256(x3[u], low);
  }
}

// Box–Muller on one vector of Philox outputs; stores r·cos θ to even and r·sin θ to odd (either may be null).
SDEKIT_AVX2 inline void box_muller_avx2(__m256i w0, __m256i w1, __m256i w2, __m256i w3, double* even, double* odd) {
  const __m256i m = _mm256_or_si256(_mm256_slli_epi64(w1, 20), _mm256_srli_epi64(w0, 12));
  const __m256d u1 = _mm256_add_pd(_mm256_sub_pd(as_pd(_mm256_or_si256(m, splat64(exponent_of_one))), splat(1.0)),
                                   splat(two_to_minus_53));
  const __m256d r = _mm256_sqrt_pd(_mm256_mul_pd(splat(-2.0), log_avx2(u1)));
  const __m256i turns = _mm256_srli_epi64(_mm256_or_si256(_mm256_slli_epi64(w3, 32), w2), 11);
  __m256d s, co;
  sincos_avx2(turns, s, co);
  if (even) _mm256_storeu_pd(even, _mm256_mul_pd(r, co));
  if (odd) _mm256_storeu_pd(odd, _mm256_mul_pd(r, s));
}

SDEKIT_AVX2 void block_avx2(std::uint64_t seed, std::uint64_t first, std::size_t n, std::uint64_t pair,
                            std::size_t components, std::size_t stride, double* even, double* odd, NoiseSpace space) {
  constexpr int U = 2;
  constexpr std::size_t width = 4 * U;
  const std::size_t vector_end = n - n % width;
  const __m256i low = splat64(0xffffffffull);
  for (std::size_t c = 0; c < components; ++c) {
    const auto counter = pair_counter(seed, pair, static_cast<std::uint32_t>(c), space);
    double* e = even ? even + c * stride : nullptr;
    double* o = odd ? odd + c * stride : nullptr;
    for (std::size_t p = 0; p < vector_end; p += width) {
      __m256i key0[U], w0[U], w1[U], w2[U], w3[U];
      for (int u = 0; u < U; ++u) {
        const std::uint64_t k = first + p + 4 * static_cast<std::size_t>(u);  // < 2^32 for every lane (checked)
        key0[u] = _mm256_and_si256(_mm256_add_epi64(splat64(k), _mm256_set_epi64x(3, 2, 1, 0)), low);
      }
      philox_avx2<U>(key0, static_cast<std::uint32_t>(seed), counter, w0, w1, w2, w3);
      for (int u = 0; u < U; ++u)
        box_muller_avx2(w0[u], w1[u], w2[u], w3[u], e ? e + p + 4 * u : nullptr, o ? o + p + 4 * u : nullptr);
    }
  }
  if (vector_end < n)
    block_portable(seed, first, vector_end, n - vector_end, pair, components, stride, even, odd, space);
}

// One particle, consecutive pairs: Philox4x32-10 on four counters (pairs first … first + 3 of one component) under
// one key, then Box–Muller, into even[0..4) and odd[0..4) — what a Brownian tree's forward sweep draws per level.
SDEKIT_AVX2 void pair_run4_avx2(std::uint64_t seed, std::uint64_t particle, std::uint64_t first,
                                std::uint32_t component, NoiseSpace space, double* even, double* odd) {
  std::array<std::uint32_t, 4> c[4];
  for (int i = 0; i < 4; ++i) c[i] = pair_counter(seed, first + static_cast<std::uint64_t>(i), component, space);
  __m256i x0 = _mm256_set_epi64x(c[3][0], c[2][0], c[1][0], c[0][0]);
  __m256i x1 = _mm256_set_epi64x(c[3][1], c[2][1], c[1][1], c[0][1]);
  __m256i x2 = _mm256_set_epi64x(c[3][2], c[2][2], c[1][2], c[0][2]);
  __m256i x3 = _mm256_set_epi64x(c[3][3], c[2][3], c[1][3], c[0][3]);
  const auto key = key_of(seed, particle);
  __m256i k0 = splat64(key[0]);
  std::uint32_t k1 = key[1];
  const __m256i m0 = splat64(philox_m0), m1 = splat64(philox_m1);
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k1 += philox_w1;
      k0 = _mm256_add_epi32(k0, splat64(philox_w0));
    }
    const __m256i p0 = _mm256_mul_epu32(x0, m0);
    const __m256i p1 = _mm256_mul_epu32(x2, m1);
    x0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x1), k0);
    x1 = p1;
    x2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x3), splat64(k1));
    x3 = p0;
  }
  const __m256i low = splat64(0xffffffffull);
  box_muller_avx2(_mm256_and_si256(x0, low), _mm256_and_si256(x1, low), _mm256_and_si256(x2, low),
                  _mm256_and_si256(x3, low), even, odd);
}

SDEKIT_AVX2 void log_block_avx2(const double* x, std::size_t n, double* out) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(out + i, log_avx2(_mm256_loadu_pd(x + i)));
  for (; i < n; ++i) out[i] = log_scalar(x[i]);
}

SDEKIT_AVX2 void sincos_block_avx2(const std::uint64_t* turns, std::size_t n, double* s, double* c) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d vs, vc;
    sincos_avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(turns + i)), vs, vc);
    _mm256_storeu_pd(s + i, vs);
    _mm256_storeu_pd(c + i, vc);
  }
  for (; i < n; ++i) sincos_scalar(turns[i], s[i], c[i]);
}

#undef SDEKIT_AVX2

// ---- AVX-512 kernels: eight particles per vector, the same operations again ----
// Only AVX-512F instructions: comparisons give mask registers, selections are mask blends, and the integer logic
// runs on the whole 512-bit registers, so every lane computes exactly what the scalar code computes.

#define SDEKIT_AVX512 __attribute__((target("avx512f")))
// GCC 12's avx512fintrin.h starts some intrinsics from _mm512_undefined_*() and warns about its own placeholder
// (GCC bug 105593); nothing here reads an undefined lane.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

SDEKIT_AVX512 inline __m512d as_pd(__m512i v) { return _mm512_castsi512_pd(v); }
SDEKIT_AVX512 inline __m512i as_si(__m512d v) { return _mm512_castpd_si512(v); }
SDEKIT_AVX512 inline __m512d splat8(double v) { return _mm512_set1_pd(v); }
SDEKIT_AVX512 inline __m512i splat8_64(std::uint64_t v) { return _mm512_set1_epi64(static_cast<long long>(v)); }

SDEKIT_AVX512 __m512d log_avx512(__m512d x) {
  const __m512i bits = as_si(x);
  __m512d m = as_pd(_mm512_or_si512(_mm512_and_si512(bits, splat8_64(mantissa_mask)), splat8_64(exponent_of_one)));
  __m512d e = _mm512_sub_pd(as_pd(_mm512_or_si512(_mm512_srli_epi64(bits, 52), splat8_64(exponent_of_two_to_52))),
                            splat8(two_to_52 + 1023.0));
  const __mmask8 big = _mm512_cmp_pd_mask(m, splat8(sqrt2), _CMP_GT_OQ);
  m = _mm512_mask_blend_pd(big, m, _mm512_mul_pd(m, splat8(0.5)));
  e = _mm512_mask_blend_pd(big, e, _mm512_add_pd(e, splat8(1.0)));
  const __m512d f = _mm512_sub_pd(m, splat8(1.0));
  const __m512d s = _mm512_div_pd(f, _mm512_add_pd(splat8(2.0), f));
  const __m512d z = _mm512_mul_pd(s, s);
  const __m512d w = _mm512_mul_pd(z, z);
  const __m512d t1 = _mm512_mul_pd(
      w, _mm512_add_pd(splat8(lg2), _mm512_mul_pd(w, _mm512_add_pd(splat8(lg4), _mm512_mul_pd(w, splat8(lg6))))));
  const __m512d t2 = _mm512_mul_pd(
      z, _mm512_add_pd(
             splat8(lg1),
             _mm512_mul_pd(
                 w, _mm512_add_pd(splat8(lg3),
                                  _mm512_mul_pd(w, _mm512_add_pd(splat8(lg5), _mm512_mul_pd(w, splat8(lg7))))))));
  const __m512d r = _mm512_add_pd(t2, t1);
  const __m512d hfsq = _mm512_mul_pd(_mm512_mul_pd(splat8(0.5), f), f);
  const __m512d inner = _mm512_add_pd(_mm512_mul_pd(s, _mm512_add_pd(hfsq, r)), _mm512_mul_pd(e, splat8(ln2_lo)));
  return _mm512_sub_pd(_mm512_mul_pd(e, splat8(ln2_hi)), _mm512_sub_pd(_mm512_sub_pd(hfsq, inner), f));
}

SDEKIT_AVX512 void sincos_avx512(__m512i turns53, __m512d& sin_out, __m512d& cos_out) {
  const __m512i quadrant = _mm512_srli_epi64(turns53, 51);
  const __m512i rest = _mm512_and_si512(turns53, splat8_64(quarter_units - 1));
  const __mmask8 flip = _mm512_cmpgt_epu64_mask(rest, splat8_64(eighth_units));
  const __m512i units = _mm512_mask_blend_epi64(flip, rest, _mm512_sub_epi64(splat8_64(quarter_units), rest));
  const __m512d a =
      _mm512_mul_pd(_mm512_sub_pd(as_pd(_mm512_or_si512(units, splat8_64(exponent_of_two_to_52))), splat8(two_to_52)),
                    splat8(radians_per_unit));
  const __m512d z = _mm512_mul_pd(a, a);
  __m512d ps = _mm512_add_pd(splat8(s5), _mm512_mul_pd(z, splat8(s6)));
  ps = _mm512_add_pd(splat8(s4), _mm512_mul_pd(z, ps));
  ps = _mm512_add_pd(splat8(s3), _mm512_mul_pd(z, ps));
  ps = _mm512_add_pd(splat8(s2), _mm512_mul_pd(z, ps));
  ps = _mm512_add_pd(splat8(s1), _mm512_mul_pd(z, ps));
  const __m512d sin_a = _mm512_add_pd(a, _mm512_mul_pd(_mm512_mul_pd(z, a), ps));
  __m512d pc = _mm512_add_pd(splat8(c5), _mm512_mul_pd(z, splat8(c6)));
  pc = _mm512_add_pd(splat8(c4), _mm512_mul_pd(z, pc));
  pc = _mm512_add_pd(splat8(c3), _mm512_mul_pd(z, pc));
  pc = _mm512_add_pd(splat8(c2), _mm512_mul_pd(z, pc));
  pc = _mm512_add_pd(splat8(c1), _mm512_mul_pd(z, pc));
  const __m512d r = _mm512_mul_pd(z, pc);
  const __m512d quarter = as_pd(
      _mm512_sub_epi64(_mm512_and_si512(as_si(a), splat8_64(0xffffffff00000000ull)), splat8_64(0x0020000000000000ull)));
  __m512d qx = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, splat8(0.78125), _CMP_GT_OQ), quarter, splat8(0.28125));
  qx = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, splat8(0.3), _CMP_LT_OQ), qx, splat8(0.0));
  const __m512d hz = _mm512_sub_pd(_mm512_mul_pd(splat8(0.5), z), qx);
  const __m512d cos_a = _mm512_sub_pd(_mm512_sub_pd(splat8(1.0), qx), _mm512_sub_pd(hz, _mm512_mul_pd(z, r)));
  const __mmask8 odd_quadrant = _mm512_test_epi64_mask(quadrant, splat8_64(1));
  const __mmask8 swap = static_cast<__mmask8>(flip ^ odd_quadrant);
  const __m512d s = _mm512_mask_blend_pd(swap, sin_a, cos_a);
  const __m512d c = _mm512_mask_blend_pd(swap, cos_a, sin_a);
  const __m512i sin_sign = _mm512_slli_epi64(_mm512_srli_epi64(quadrant, 1), 63);
  const __m512i cos_sign =
      _mm512_slli_epi64(_mm512_and_si512(_mm512_xor_si512(quadrant, _mm512_srli_epi64(quadrant, 1)), splat8_64(1)), 63);
  sin_out = as_pd(_mm512_xor_si512(as_si(s), sin_sign));
  cos_out = as_pd(_mm512_xor_si512(as_si(c), cos_sign));
}

// Philox4x32-10 for 8·U keys at once, as philox_avx2.
template <int U>
SDEKIT_AVX512 inline void philox_avx512(const __m512i (&key0)[U], std::uint32_t key1,
                                        const std::array<std::uint32_t, 4>& counter, __m512i (&w0)[U], __m512i (&w1)[U],
                                        __m512i (&w2)[U], __m512i (&w3)[U]) {
  __m512i x0[U], x1[U], x2[U], x3[U], k0[U];
  for (int u = 0; u < U; ++u) {
    x0[u] = splat8_64(counter[0]);
    x1[u] = splat8_64(counter[1]);
    x2[u] = splat8_64(counter[2]);
    x3[u] = splat8_64(counter[3]);
    k0[u] = key0[u];
  }
  const __m512i m0 = splat8_64(philox_m0), m1 = splat8_64(philox_m1);
  std::uint32_t k1 = key1;
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k1 += philox_w1;
    const __m512i vk1 = splat8_64(k1);
    for (int u = 0; u < U; ++u) {
      if (round > 0) k0[u] = _mm512_add_epi32(k0[u], splat8_64(philox_w0));
      const __m512i p0 = _mm512_mul_epu32(x0[u], m0);
      const __m512i p1 = _mm512_mul_epu32(x2[u], m1);
      x0[u] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), x1[u]), k0[u]);
      x1[u] = p1;
      x2[u] = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), x3[u]), vk1);
      x3[u] = p0;
    }
  }
  const __m512i low = splat8_64(0xffffffffull);
  for (int u = 0; u < U; ++u) {
    w0[u] = _mm512_and_si512(x0[u], low);
    w1[u] = _mm512_and_si512(x1[u], low);
    w2[u] = _mm512_and_si512(x2[u], low);
    w3[u] = _mm512_and_si512(x3[u], low);
  }
}

SDEKIT_AVX512 inline void box_muller_avx512(__m512i w0, __m512i w1, __m512i w2, __m512i w3, double* even, double* odd) {
  const __m512i m = _mm512_or_si512(_mm512_slli_epi64(w1, 20), _mm512_srli_epi64(w0, 12));
  const __m512d u1 = _mm512_add_pd(_mm512_sub_pd(as_pd(_mm512_or_si512(m, splat8_64(exponent_of_one))), splat8(1.0)),
                                   splat8(two_to_minus_53));
  const __m512d r = _mm512_sqrt_pd(_mm512_mul_pd(splat8(-2.0), log_avx512(u1)));
  const __m512i turns = _mm512_srli_epi64(_mm512_or_si512(_mm512_slli_epi64(w3, 32), w2), 11);
  __m512d s, co;
  sincos_avx512(turns, s, co);
  if (even) _mm512_storeu_pd(even, _mm512_mul_pd(r, co));
  if (odd) _mm512_storeu_pd(odd, _mm512_mul_pd(r, s));
}

// U vectors of 8 particles from particle p of the row on.
template <int U>
SDEKIT_AVX512 inline void block_avx512_chunk(std::uint64_t seed, std::uint64_t first, std::size_t p,
                                             const std::array<std::uint32_t, 4>& counter, double* e, double* o) {
  const __m512i low = splat8_64(0xffffffffull);
  __m512i key0[U], w0[U], w1[U], w2[U], w3[U];
  for (int u = 0; u < U; ++u) {
    const std::uint64_t k = first + p + 8 * static_cast<std::size_t>(u);  // < 2^32 for every lane (checked)
    key0[u] = _mm512_and_si512(_mm512_add_epi64(splat8_64(k), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)), low);
  }
  philox_avx512<U>(key0, static_cast<std::uint32_t>(seed), counter, w0, w1, w2, w3);
  for (int u = 0; u < U; ++u)
    box_muller_avx512(w0[u], w1[u], w2[u], w3[u], e ? e + p + 8 * u : nullptr, o ? o + p + 8 * u : nullptr);
}

SDEKIT_AVX512 void block_avx512(std::uint64_t seed, std::uint64_t first, std::size_t n, std::uint64_t pair,
                                std::size_t components, std::size_t stride, double* even, double* odd,
                                NoiseSpace space) {
  constexpr int U = 2;  // two interleaved Philox chains hide the multiply latency, as in the AVX2 path
  constexpr std::size_t width = 8 * U;
  const std::size_t wide_end = n - n % width;
  const std::size_t vector_end = n - n % 8;
  for (std::size_t c = 0; c < components; ++c) {
    const auto counter = pair_counter(seed, pair, static_cast<std::uint32_t>(c), space);
    double* e = even ? even + c * stride : nullptr;
    double* o = odd ? odd + c * stride : nullptr;
    for (std::size_t p = 0; p < wide_end; p += width) block_avx512_chunk<U>(seed, first, p, counter, e, o);
    if (wide_end < vector_end) block_avx512_chunk<1>(seed, first, wide_end, counter, e, o);
  }
  if (vector_end < n)
    block_portable(seed, first, vector_end, n - vector_end, pair, components, stride, even, odd, space);
}

SDEKIT_AVX512 void log_block_avx512(const double* x, std::size_t n, double* out) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(out + i, log_avx512(_mm512_loadu_pd(x + i)));
  for (; i < n; ++i) out[i] = log_scalar(x[i]);
}

SDEKIT_AVX512 void sincos_block_avx512(const std::uint64_t* turns, std::size_t n, double* s, double* c) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d vs, vc;
    sincos_avx512(_mm512_loadu_si512(turns + i), vs, vc);
    _mm512_storeu_pd(s + i, vs);
    _mm512_storeu_pd(c + i, vc);
  }
  for (; i < n; ++i) sincos_scalar(turns[i], s[i], c[i]);
}

#pragma GCC diagnostic pop
#undef SDEKIT_AVX512

bool avx512_available() {
  static const bool available = __builtin_cpu_supports("avx512f");
  return available;
}

bool avx2_available() {
  static const bool available = __builtin_cpu_supports("avx2");
  return available;
}
#else
bool avx2_available() { return false; }
bool avx512_available() { return false; }
#endif

bool path_available(detail::NoisePath path) {
  switch (path) {
    case detail::NoisePath::portable:
      return true;
    case detail::NoisePath::avx2:
      return avx2_available();
    case detail::NoisePath::avx512:
      return avx512_available();
  }
  return false;
}

// The fastest path this CPU runs; all give the same bits.
detail::NoisePath best_path() {
  if (avx512_available()) return detail::NoisePath::avx512;
  if (avx2_available()) return detail::NoisePath::avx2;
  return detail::NoisePath::portable;
}

void block_on(detail::NoisePath path, std::uint64_t seed, std::uint64_t first, std::size_t n, std::uint64_t pair,
              std::size_t components, double* even, double* odd, NoiseSpace space) {
#ifdef SDEKIT_NOISE_X86
  if (path == detail::NoisePath::avx512) {
    block_avx512(seed, first, n, pair, components, n, even, odd, space);
    return;
  }
  if (path == detail::NoisePath::avx2) {
    block_avx2(seed, first, n, pair, components, n, even, odd, space);
    return;
  }
#endif
  (void)path;
  block_portable(seed, first, 0, n, pair, components, n, even, odd, space);
}

void block_dispatch(std::uint64_t seed, std::uint64_t first, std::size_t n, std::uint64_t pair, std::size_t components,
                    double* even, double* odd, NoiseSpace space) {
  static const detail::NoisePath path = best_path();
  block_on(path, seed, first, n, pair, components, even, odd, space);
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key) {
  r123::Philox4x32_R<10> philox;
  const r123::Philox4x32::ctr_type c = {{counter[0], counter[1], counter[2], counter[3]}};
  const r123::Philox4x32::key_type k = {{key[0], key[1]}};
  const r123::Philox4x32::ctr_type r = philox(c, k);
  return {r[0], r[1], r[2], r[3]};
}

double standard_normal(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::uint32_t component,
                       NoiseSpace space) {
  check_indices(particle, step, "sdekit::standard_normal");
  double z0, z1;
  box_muller(philox4x32_10(pair_counter(seed, step >> 1, component, space), key_of(seed, particle)), z0, z1);
  return step % 2 == 0 ? z0 : z1;
}

void standard_normals(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::size_t count, double* out,
                      NoiseSpace space) {
  check_indices(particle, step, "sdekit::standard_normals");
  const auto key = key_of(seed, particle);
  for (std::size_t c = 0; c < count; ++c) {
    double z0, z1;
    box_muller(philox4x32_10(pair_counter(seed, step >> 1, static_cast<std::uint32_t>(c), space), key), z0, z1);
    out[c] = step % 2 == 0 ? z0 : z1;
  }
}

void standard_normals_block(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles, std::uint64_t step,
                            std::size_t components, double* out) {
  if (particles == 0) return;
  check_indices(first_particle + particles - 1, step, "sdekit::standard_normals_block");
  block_dispatch(seed, first_particle, particles, step >> 1, components, step % 2 == 0 ? out : nullptr,
                 step % 2 == 0 ? nullptr : out, NoiseSpace::wiener);
}

void standard_normals_block_pair(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                                 std::uint64_t step_pair, std::size_t components, double* even, double* odd,
                                 NoiseSpace space) {
  if (particles == 0) return;
  check_indices(first_particle + particles - 1, 0, "sdekit::standard_normals_block_pair");
  detail::require(step_pair < (std::uint64_t{1} << 62), "sdekit::standard_normals_block_pair", "step_pair", step_pair,
                  "must be below 2^62");
  block_dispatch(seed, first_particle, particles, step_pair, components, even, odd, space);
}

void standard_normal_pairs(std::uint64_t seed, std::uint64_t particle, std::uint64_t step_pair, std::size_t components,
                           double* even, double* odd, NoiseSpace space) {
  check_indices(particle, 0, "sdekit::standard_normal_pairs");
  detail::require(step_pair < (std::uint64_t{1} << 62), "sdekit::standard_normal_pairs", "step_pair", step_pair,
                  "must be below 2^62");
  check_components(components, "sdekit::standard_normal_pairs");
  const auto key = key_of(seed, particle);
  for (std::size_t c = 0; c < components; ++c)
    box_muller(philox4x32_10(pair_counter(seed, step_pair, static_cast<std::uint32_t>(c), space), key), even[c],
               odd[c]);
}

void standard_normal_pair_run(std::uint64_t seed, std::uint64_t particle, std::uint64_t first_pair, std::size_t pairs,
                              std::uint32_t component, double* even, double* odd, NoiseSpace space) {
  check_indices(particle, 0, "sdekit::standard_normal_pair_run");
  detail::require(first_pair < (std::uint64_t{1} << 62) && pairs <= (std::uint64_t{1} << 62) - first_pair,
                  "sdekit::standard_normal_pair_run", "first_pair", first_pair,
                  "and first_pair + pairs must stay below 2^62");
  check_components(component, "sdekit::standard_normal_pair_run");
  std::size_t i = 0;
#ifdef SDEKIT_NOISE_X86
  if (avx2_available())
    for (; i + 4 <= pairs; i += 4) pair_run4_avx2(seed, particle, first_pair + i, component, space, even + i, odd + i);
#endif
  const auto key = key_of(seed, particle);
  for (; i < pairs; ++i)
    box_muller(philox4x32_10(pair_counter(seed, first_pair + i, component, space), key), even[i], odd[i]);
}

double discrete_variable(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::uint32_t component,
                         IncrementLaw law, NoiseSpace space) {
  check_indices(particle, step, "sdekit::discrete_variable");
  check_components(component, "sdekit::discrete_variable");
  detail::require(law != IncrementLaw::gaussian, "sdekit::discrete_variable", "law", "gaussian",
                  "must be two_point or three_point (standard_normal draws the Gaussian ones)");
  const auto words = philox4x32_10(pair_counter(seed, step >> 1, component, space), key_of(seed, particle));
  return discrete_from_bits(words[step % 2 == 0 ? 0 : 2], law);
}

void discrete_variables_block_pair(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                                   std::uint64_t step_pair, std::size_t components, IncrementLaw law, double* even,
                                   double* odd, NoiseSpace space) {
  if (particles == 0) return;
  check_indices(first_particle + particles - 1, 0, "sdekit::discrete_variables_block_pair");
  check_components(components, "sdekit::discrete_variables_block_pair");
  detail::require(law != IncrementLaw::gaussian, "sdekit::discrete_variables_block_pair", "law", "gaussian",
                  "must be two_point or three_point");
  detail::require(step_pair < (std::uint64_t{1} << 62), "sdekit::discrete_variables_block_pair", "step_pair", step_pair,
                  "must be below 2^62");
  for (std::size_t c = 0; c < components; ++c) {
    const auto counter = pair_counter(seed, step_pair, static_cast<std::uint32_t>(c), space);
    for (std::size_t p = 0; p < particles; ++p) {
      const auto words = philox4x32_10(counter, key_of(seed, first_particle + p));
      if (even) even[c * particles + p] = discrete_from_bits(words[0], law);
      if (odd) odd[c * particles + p] = discrete_from_bits(words[2], law);
    }
  }
}

namespace detail {

double box_muller_log(double x) { return log_scalar(x); }

void box_muller_sincos(std::uint64_t turns53, double& sin_out, double& cos_out) {
  sincos_scalar(turns53, sin_out, cos_out);
}

void box_muller_log_block(const double* x, std::size_t n, double* out) {
#ifdef SDEKIT_NOISE_X86
  if (avx512_available()) {
    log_block_avx512(x, n, out);
    return;
  }
  if (avx2_available()) {
    log_block_avx2(x, n, out);
    return;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) out[i] = log_scalar(x[i]);
}

void box_muller_sincos_block(const std::uint64_t* turns53, std::size_t n, double* sin_out, double* cos_out) {
#ifdef SDEKIT_NOISE_X86
  if (avx512_available()) {
    sincos_block_avx512(turns53, n, sin_out, cos_out);
    return;
  }
  if (avx2_available()) {
    sincos_block_avx2(turns53, n, sin_out, cos_out);
    return;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) sincos_scalar(turns53[i], sin_out[i], cos_out[i]);
}

bool noise_uses_avx2() { return avx2_available(); }

NoisePath noise_path() { return best_path(); }

bool noise_path_available(NoisePath path) { return path_available(path); }

std::string_view noise_path_name(NoisePath path) {
  switch (path) {
    case NoisePath::portable:
      return "portable";
    case NoisePath::avx2:
      return "AVX2";
    case NoisePath::avx512:
      return "AVX-512";
  }
  return "unknown";
}

void standard_normals_block_on(NoisePath path, std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                               std::uint64_t step, std::size_t components, double* out) {
  require(path_available(path), "sdekit::detail::standard_normals_block_on", "path", noise_path_name(path),
          "is not supported by this CPU (noise_path_available says which are)");
  if (particles == 0) return;
  check_indices(first_particle + particles - 1, step, "sdekit::detail::standard_normals_block_on");
  block_on(path, seed, first_particle, particles, step >> 1, components, step % 2 == 0 ? out : nullptr,
           step % 2 == 0 ? nullptr : out, NoiseSpace::wiener);
}

void standard_normals_block_portable(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                                     std::uint64_t step, std::size_t components, double* out) {
  if (particles == 0) return;
  check_indices(first_particle + particles - 1, step, "sdekit::detail::standard_normals_block_portable");
  block_portable(seed, first_particle, 0, particles, step >> 1, components, particles, step % 2 == 0 ? out : nullptr,
                 step % 2 == 0 ? nullptr : out, NoiseSpace::wiener);
}

}  // namespace detail

RandomStream::RandomStream(std::uint64_t seed, std::uint64_t particle, std::uint32_t stream)
    : key_(key_of(seed, particle)), seed_high_(static_cast<std::uint32_t>(seed >> 32)), stream_(stream) {
  check_indices(particle, 0, "sdekit::RandomStream");
  detail::require(stream < (std::uint32_t{1} << 30), "sdekit::RandomStream", "stream", stream,
                  "must be below 2^30 (the streams above are the Brownian tree's counters)");
}

void RandomStream::refill() {
  r123::Philox4x32_R<10> philox;
  const r123::Philox4x32::key_type key = {{key_[0], key_[1]}};
  for (int b = 0; b < blocks_per_refill; ++b) {
    const std::uint64_t index = block_ + static_cast<std::uint64_t>(b);
    // The top bit of the last counter word separates these streams from the Wiener increments (step pairs < 2^62).
    const r123::Philox4x32::ctr_type counter = {{static_cast<std::uint32_t>(index),
                                                 static_cast<std::uint32_t>(index >> 32), seed_high_,
                                                 0x80000000u | stream_}};
    const r123::Philox4x32::ctr_type out = philox(counter, key);
    for (int w = 0; w < 4; ++w) buffer_[static_cast<std::size_t>(4 * b + w)] = out[static_cast<std::size_t>(w)];
  }
  block_ += blocks_per_refill;
  used_ = 0;
}

double RandomStream::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // The same Box–Muller kernels as the Wiener increments: two 64-bit draws make two normals.
  const std::uint64_t a = next_u64();
  const std::uint64_t b = next_u64();
  const double r = radius_scalar(static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32));
  double s, c;
  sincos_scalar(b >> 11, s, c);
  spare_normal_ = r * s;
  has_spare_normal_ = true;
  return r * c;
}

}  // namespace sdekit
