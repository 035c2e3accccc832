// Counter-based noise: the Philox known-answer vectors, bitwise agreement of every way of asking for Z(seed,
// particle, step, component) (scalar, per-particle, block, pair block, AVX2 and portable paths), accuracy of the
// Box–Muller log/sin/cos kernels, and the distribution of the normals (moments, KS, independence).
#include <sdekit/core/noise.hpp>
#include <sdekit/ensemble/statistics.hpp>

#include <doctest/doctest.h>
#include "test_support.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

using sdekit_test::check_throws_naming;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// A simple counter-free mixer to pick test inputs (not the library's generator).
std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

TEST_CASE("Philox4x32-10 matches Random123's known-answer vectors") {
  using A4 = std::array<std::uint32_t, 4>;
  CHECK(sdekit::philox4x32_10({0, 0, 0, 0}, {0, 0}) == A4{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(sdekit::philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}) ==
        A4{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(sdekit::philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}) ==
        A4{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("standard_normal, standard_normals and the block kernels agree bitwise") {
  MESSAGE("block kernels use the " << std::string(sdekit::detail::noise_path_name(sdekit::detail::noise_path()))
                                   << " path");
  // Odd particle counts and offsets exercise the vector body and the scalar tail; high seed bits and large steps
  // exercise every counter word.
  const std::uint64_t seeds[] = {0, 12345, 0xDEADBEEF12345678ull};
  const std::size_t counts[] = {1, 3, 8, 13, 67};
  const std::uint64_t firsts[] = {0, 5, 4294967295ull - 70};
  const std::uint64_t steps[] = {0, 1, 2, 7, 1000001, (std::uint64_t{1} << 62) + 3};
  std::size_t compared = 0, mismatches = 0;
  for (std::uint64_t seed : seeds)
    for (std::size_t n : counts)
      for (std::uint64_t first : firsts)
        for (std::uint64_t step : steps)
          for (std::size_t m : {std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
            std::vector<double> block(n * m), portable(n * m), even(n * m), odd(n * m), single(m);
            sdekit::standard_normals_block(seed, first, n, step, m, block.data());
            sdekit::detail::standard_normals_block_portable(seed, first, n, step, m, portable.data());
            sdekit::standard_normals_block_pair(seed, first, n, step / 2, m, even.data(), odd.data());
            const std::vector<double>& pair = step % 2 == 0 ? even : odd;
            for (std::size_t p = 0; p < n; ++p) {
              sdekit::standard_normals(seed, first + p, step, m, single.data());
              for (std::size_t c = 0; c < m; ++c) {
                const double z = sdekit::standard_normal(seed, first + p, step, static_cast<std::uint32_t>(c));
                const std::size_t j = c * n + p;
                mismatches += !same_bits(z, block[j]) + !same_bits(z, portable[j]) + !same_bits(z, pair[j]) +
                              !same_bits(z, single[c]);
                ++compared;
              }
            }
          }
  CHECK(compared > 10000);
  CHECK(mismatches == 0);
}

TEST_CASE("every vector path agrees bitwise with the portable path over millions of normals") {
  // Random seeds, first particles, steps and widths: 2^21 values through each path this CPU runs (AVX2, AVX-512)
  // and through the portable one. Widths up to 3000 exercise every vector body (16-, 8- and 4-particle chunks) and
  // the scalar tails.
  using sdekit::detail::NoisePath;
  for (NoisePath path : {NoisePath::avx2, NoisePath::avx512}) {
    if (!sdekit::detail::noise_path_available(path)) {
      MESSAGE("this CPU has no " << std::string(sdekit::detail::noise_path_name(path)) << ": path not tested");
      continue;
    }
    std::uint64_t s = 7;
    std::size_t compared = 0, mismatches = 0;
    std::vector<double> fast, portable;
    while (compared < (std::size_t{1} << 21)) {
      const std::uint64_t seed = splitmix(s);
      const std::size_t n = 1 + splitmix(s) % 3000;
      const std::uint64_t first = splitmix(s) % ((std::uint64_t{1} << 32) - n);
      const std::uint64_t step = splitmix(s) >> 1;
      const std::size_t m = 1 + splitmix(s) % 4;
      fast.resize(n * m);
      portable.resize(n * m);
      sdekit::detail::standard_normals_block_on(path, seed, first, n, step, m, fast.data());
      sdekit::detail::standard_normals_block_portable(seed, first, n, step, m, portable.data());
      for (std::size_t j = 0; j < n * m; ++j) mismatches += !same_bits(fast[j], portable[j]);
      compared += n * m;
    }
    CAPTURE(std::string(sdekit::detail::noise_path_name(path)));
    CHECK(mismatches == 0);
  }
}

TEST_CASE("the block kernels take the widest path the CPU has") {
  using sdekit::detail::NoisePath;
  const NoisePath path = sdekit::detail::noise_path();
  CHECK(sdekit::detail::noise_path_available(path));
  if (sdekit::detail::noise_path_available(NoisePath::avx512)) CHECK(path == NoisePath::avx512);
  else if (sdekit::detail::noise_path_available(NoisePath::avx2)) CHECK(path == NoisePath::avx2);
  else CHECK(path == NoisePath::portable);
  CHECK(sdekit::detail::noise_path_available(NoisePath::portable));
}

TEST_CASE("GaussianNoise gives sqrt(dt) times the standard normals of its particle") {
  const sdekit::GaussianNoise noise(77, 9);
  double dw = 0;
  noise(4, 0.0, 0.25, dw);
  CHECK(same_bits(dw, 0.5 * sdekit::standard_normal(77, 9, 4, 0)));
  Eigen::Vector3d v;
  noise(5, 0.0, 0.25, v);
  for (int c = 0; c < 3; ++c)
    CHECK(same_bits(v[c], sdekit::standard_normal(77, 9, 5, static_cast<std::uint32_t>(c)) * 0.5));
}

TEST_CASE("the Box-Muller log is accurate and its vector path gives the scalar bits") {
  // Inputs: random doubles over many binades of (0, 1], plus the edges Box–Muller can produce and the points where
  // the kernel switches branch (mantissa at √2).
  std::vector<double> x;
  std::uint64_t s = 1;
  for (int i = 0; i < 400000; ++i) {
    const double mantissa = static_cast<double>(splitmix(s) >> 11) * 0x1p-53 + 0x1p-54;
    x.push_back(std::ldexp(mantissa, -static_cast<int>(splitmix(s) % 60)));
  }
  for (double e : {0x1p-53, 1.0 - 0x1p-53, 1.0, 0.5, 0.25, std::numbers::sqrt2 / 2, std::numbers::sqrt2 / 4,
                   std::nextafter(std::numbers::sqrt2 / 2, 0.0), std::nextafter(std::numbers::sqrt2 / 2, 1.0), 1.5, 2.0,
                   1e300, 1e-300, std::numeric_limits<double>::min()})
    x.push_back(e);
  std::vector<double> vec(x.size());
  sdekit::detail::box_muller_log_block(x.data(), x.size(), vec.data());
  double worst = 0;
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ours = sdekit::detail::box_muller_log(x[i]);
    mismatches += !same_bits(ours, vec[i]);
    const long double exact = std::log(static_cast<long double>(x[i]));
    if (exact != 0) worst = std::max(worst, static_cast<double>(std::fabs((ours - exact) / exact)));
    else CHECK(ours == 0.0);
  }
  MESSAGE("max relative error of the log kernel: " << worst);
  CHECK(mismatches == 0);
  CHECK(worst < 4e-16);  // fdlibm's algorithm is below 1 ulp; allow 2 ulp (2^-52 ≈ 2.2e-16)
}

TEST_CASE("the Box-Muller sin/cos are accurate and their vector path gives the scalar bits") {
  // Reference: long double sin/cos of the exactly reduced angle (distance to the nearest quadrant end, computed
  // in integers), rotated into the quadrant; relative error matters near the zeros, which this keeps meaningful.
  constexpr long double pi = 3.141592653589793238462643383279502884L;
  constexpr std::uint64_t quarter = std::uint64_t{1} << 51;
  std::vector<std::uint64_t> turns;
  std::uint64_t s = 2;
  for (int i = 0; i < 400000; ++i) turns.push_back(splitmix(s) >> 11);
  for (std::uint64_t q = 0; q < 4; ++q)
    for (std::uint64_t r : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2}, quarter / 2 - 1, quarter / 2,
                            quarter / 2 + 1, quarter - 2, quarter - 1})
      turns.push_back(q * quarter + r);
  std::vector<double> vs(turns.size()), vc(turns.size());
  sdekit::detail::box_muller_sincos_block(turns.data(), turns.size(), vs.data(), vc.data());
  double worst_sin = 0, worst_cos = 0;
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    double sn, cs;
    sdekit::detail::box_muller_sincos(turns[i], sn, cs);
    mismatches += !same_bits(sn, vs[i]) + !same_bits(cs, vc[i]);
    const std::uint64_t q = turns[i] >> 51, r = turns[i] & (quarter - 1);
    const long double a = static_cast<long double>(r) * (pi / 2) / static_cast<long double>(quarter);
    const long double b = static_cast<long double>(quarter - r) * (pi / 2) / static_cast<long double>(quarter);
    const long double sin_r = r <= quarter / 2 ? std::sin(a) : std::cos(b);  // sin of the angle within the quadrant
    const long double cos_r = r <= quarter / 2 ? std::cos(a) : std::sin(b);
    const long double exact_sin = q == 0 ? sin_r : q == 1 ? cos_r : q == 2 ? -sin_r : -cos_r;
    const long double exact_cos = q == 0 ? cos_r : q == 1 ? -sin_r : q == 2 ? -cos_r : sin_r;
    if (exact_sin != 0) worst_sin = std::max(worst_sin, static_cast<double>(std::fabs((sn - exact_sin) / exact_sin)));
    else CHECK(sn == 0.0);
    if (exact_cos != 0) worst_cos = std::max(worst_cos, static_cast<double>(std::fabs((cs - exact_cos) / exact_cos)));
    else CHECK(cs == 0.0);
  }
  MESSAGE("max relative error: sin " << worst_sin << ", cos " << worst_cos);
  CHECK(mismatches == 0);
  CHECK(worst_sin < 4e-16);
  CHECK(worst_cos < 4e-16);
}

TEST_CASE("the normals are standard normal and independent across steps, components and particles") {
  // 2^20 values from one pair-block call per (step pair, component): both steps, two components.
  const std::size_t n = 1 << 17;
  std::vector<double> all, even(2 * n), odd(2 * n);
  double cross_steps = 0, cross_components = 0, cross_particles = 0;
  for (std::uint64_t pair = 0; pair < 4; ++pair) {
    sdekit::standard_normals_block_pair(2024, 0, n, pair, 2, even.data(), odd.data());
    all.insert(all.end(), even.begin(), even.end());
    all.insert(all.end(), odd.begin(), odd.end());
    for (std::size_t p = 0; p < n; ++p) {
      cross_steps += even[p] * odd[p];
      cross_components += even[p] * even[n + p];
      if (p + 1 < n) cross_particles += even[p] * even[p + 1];
    }
  }
  const double count = static_cast<double>(all.size());
  double mean = 0, m2 = 0, m3 = 0, m4 = 0;
  for (double z : all) mean += z;
  mean /= count;
  for (double z : all) {
    const double d = z - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= count;
  m3 /= count;
  m4 /= count;
  const double skew = m3 / std::pow(m2, 1.5), excess = m4 / (m2 * m2) - 3.0;
  // Standard errors of a normal sample: mean 1/√n, variance √(2/n), skewness √(6/n), excess kurtosis √(24/n).
  CHECK(std::abs(mean) < 5 / std::sqrt(count));
  CHECK(std::abs(m2 - 1) < 5 * std::sqrt(2 / count));
  CHECK(std::abs(skew) < 5 * std::sqrt(6 / count));
  CHECK(std::abs(excess) < 5 * std::sqrt(24 / count));
  const double pairs = 4.0 * static_cast<double>(n);
  CHECK(std::abs(cross_steps / pairs) < 5 / std::sqrt(pairs));  // E[z z'] = 0, SE 1/√n for independent normals
  CHECK(std::abs(cross_components / pairs) < 5 / std::sqrt(pairs));
  CHECK(std::abs(cross_particles / pairs) < 5 / std::sqrt(pairs));
  const double d = sdekit::ks_statistic(all, sdekit::normal_cdf);
  const double p = sdekit::ks_p_value(d, all.size());
  MESSAGE("KS statistic " << d << " over " << all.size() << " normals, p = " << p);
  CHECK(p > 1e-4);
  // The tails reach as far as Box–Muller's u1 ≥ 2^-53 allows: √(−2 ln 2^-53) ≈ 8.57.
  double largest = 0;
  for (double z : all) largest = std::max(largest, std::abs(z));
  CHECK(largest < 8.58);
}

TEST_CASE("RandomStream draws are pure functions of (seed, particle, stream, draw) with the right laws") {
  sdekit::RandomStream a(5, 17, 3), b(5, 17, 3), c(5, 17, 4);
  CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  sdekit::RandomStream rng(99, 1, 0);
  const int n = static_cast<int>(sdekit_test::scaled(200000, 20000));  // SDEKIT_TEST_SCALE; tolerances in SE
  double su = 0, sn = 0, sn2 = 0, se = 0;
  int outside = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    outside += !(u > 0.0 && u < 1.0);
    su += u;
    const double z = rng.normal();
    sn += z;
    sn2 += z * z;
    se += rng.exponential();
  }
  CHECK(outside == 0);
  CHECK(std::abs(su / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  CHECK(std::abs(sn / n) < 5 / std::sqrt(double(n)));
  CHECK(std::abs(sn2 / n - 1) < 5 * std::sqrt(2.0 / n));
  CHECK(std::abs(se / n - 1) < 5 / std::sqrt(double(n)));
}

TEST_CASE("noise functions reject out-of-range indices, naming the argument") {
  double out[2];
  check_throws_naming([] { (void)sdekit::standard_normal(1, std::uint64_t{1} << 32, 0, 0); }, "particle");
  check_throws_naming([] { (void)sdekit::standard_normal(1, 0, std::uint64_t{1} << 63, 0); }, "step");
  check_throws_naming([&] { sdekit::standard_normals(1, std::uint64_t{1} << 32, 0, 2, out); }, "particle");
  check_throws_naming([&] { sdekit::standard_normals_block(1, (std::uint64_t{1} << 32) - 1, 2, 0, 1, out); },
                      "particle");
  check_throws_naming([&] { sdekit::standard_normals_block_pair(1, 0, 1, std::uint64_t{1} << 62, 1, out, out + 1); },
                      "step_pair");
  check_throws_naming([] { sdekit::RandomStream(1, 0, std::uint32_t{1} << 30); }, "stream");
}

TEST_CASE("standard_normal_pairs gives the two normals of a block, on every counter space") {
  for (auto space : {sdekit::NoiseSpace::wiener, sdekit::NoiseSpace::step_integrals, sdekit::NoiseSpace::brownian_tree})
    for (std::uint64_t pair : {std::uint64_t{0}, std::uint64_t{12345}, (std::uint64_t{1} << 61) + 7}) {
      double even[3], odd[3];
      sdekit::standard_normal_pairs(0x1234567890abcdefull, 77, pair, 3, even, odd, space);
      for (std::uint32_t c = 0; c < 3; ++c) {
        CHECK(even[c] == sdekit::standard_normal(0x1234567890abcdefull, 77, 2 * pair, c, space));
        CHECK(odd[c] == sdekit::standard_normal(0x1234567890abcdefull, 77, 2 * pair + 1, c, space));
      }
    }
  // The tree's space is its own: none of its normals is the Wiener space's, nor a RandomStream's.
  double tree_even[1], tree_odd[1], wiener_even[1], wiener_odd[1];
  sdekit::standard_normal_pairs(5, 3, 99, 1, tree_even, tree_odd, sdekit::NoiseSpace::brownian_tree);
  sdekit::standard_normal_pairs(5, 3, 99, 1, wiener_even, wiener_odd);
  CHECK(tree_even[0] != wiener_even[0]);
  CHECK(tree_odd[0] != wiener_odd[0]);
  double out[2];
  sdekit_test::check_throws_naming(
      [&] { sdekit::standard_normal_pairs(1, 0, std::uint64_t{1} << 62, 1, out, out + 1); }, "step_pair");
}

TEST_CASE("standard_normal_pair_run gives standard_normal_pairs' bits, vectorised or not") {
  MESSAGE("AVX2 path: " << sdekit::detail::noise_uses_avx2());
  // Runs of every length mod 4 (the vector width), starting anywhere, across the 2^32 boundary of the pair counter.
  for (auto space : {sdekit::NoiseSpace::wiener, sdekit::NoiseSpace::brownian_tree})
    for (std::uint64_t first : {std::uint64_t{0}, std::uint64_t{12345}, (std::uint64_t{1} << 32) - 3})
      for (std::size_t pairs : {std::size_t{1}, std::size_t{4}, std::size_t{7}, std::size_t{9}}) {
        std::vector<double> even(pairs), odd(pairs);
        sdekit::standard_normal_pair_run(0x1234567890abcdefull, 77, first, pairs, 2, even.data(), odd.data(), space);
        for (std::size_t i = 0; i < pairs; ++i) {
          double e[3], o[3];
          sdekit::standard_normal_pairs(0x1234567890abcdefull, 77, first + i, 3, e, o, space);
          CHECK(even[i] == e[2]);
          CHECK(odd[i] == o[2]);
        }
      }
  double out[2];
  sdekit_test::check_throws_naming(
      [&] { sdekit::standard_normal_pair_run(1, 0, (std::uint64_t{1} << 62) - 1, 2, 0, out, out + 1); }, "first_pair");
}
