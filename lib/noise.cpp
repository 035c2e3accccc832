// The counter-based Gaussian generator. One definition of the bits serves the scalar calls and the block kernel,
// so a particle's noise does not depend on how it was asked for.
#include <sdekit/noise.hpp>

#include <Random123/philox.h>

#include <cmath>
#include <limits>

namespace sdekit {
namespace {

constexpr double two_pi = 6.283185307179586476925286766559;
constexpr double two_to_minus_53 = 1.0 / 9007199254740992.0;

void check_indices(std::uint64_t particle, std::uint64_t step, const char* where) {
  detail::require(particle <= std::numeric_limits<std::uint32_t>::max(), where, "particle", particle,
                  "must be below 2^32");
  detail::require(step < (std::uint64_t{1} << 63), where, "step", step, "must be below 2^63");
}

std::array<std::uint32_t, 2> key_of(std::uint64_t seed, std::uint64_t particle) {
  return {static_cast<std::uint32_t>(particle), static_cast<std::uint32_t>(seed)};
}

std::array<std::uint32_t, 4> step_counter(std::uint64_t seed, std::uint64_t step, std::uint32_t pair) {
  return {pair, static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(seed >> 32),
          static_cast<std::uint32_t>(step >> 32)};
}

// Two 64-bit words to two independent standard normals (Box–Muller). u1 lies in (0, 1), so the log is finite;
// 53-bit uniforms put the largest |z| near 8.6.
void box_muller(const std::array<std::uint32_t, 4>& w, double& z0, double& z1) {
  const std::uint64_t a = (std::uint64_t{w[1]} << 32) | w[0];
  const std::uint64_t b = (std::uint64_t{w[3]} << 32) | w[2];
  const double u1 = (static_cast<double>(a >> 11) + 0.5) * two_to_minus_53;
  const double u2 = static_cast<double>(b >> 11) * two_to_minus_53;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = two_pi * u2;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key) {
  r123::Philox4x32_R<10> philox;
  const r123::Philox4x32::ctr_type c = {{counter[0], counter[1], counter[2], counter[3]}};
  const r123::Philox4x32::key_type k = {{key[0], key[1]}};
  const r123::Philox4x32::ctr_type r = philox(c, k);
  return {r[0], r[1], r[2], r[3]};
}

double standard_normal(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::uint32_t component) {
  check_indices(particle, step, "sdekit::standard_normal");
  double z0, z1;
  box_muller(philox4x32_10(step_counter(seed, step, component / 2), key_of(seed, particle)), z0, z1);
  return component % 2 == 0 ? z0 : z1;
}

void standard_normals(std::uint64_t seed, std::uint64_t particle, std::uint64_t step, std::size_t count, double* out) {
  check_indices(particle, step, "sdekit::standard_normals");
  const auto key = key_of(seed, particle);
  for (std::size_t c = 0; c < count; c += 2) {
    double z0, z1;
    box_muller(philox4x32_10(step_counter(seed, step, static_cast<std::uint32_t>(c / 2)), key), z0, z1);
    out[c] = z0;
    if (c + 1 < count) out[c + 1] = z1;
  }
}

void standard_normals_block(std::uint64_t seed, std::uint64_t first_particle, std::size_t particles,
                            std::uint64_t step, std::size_t components, double* out) {
  if (particles == 0) return;
  check_indices(first_particle + particles - 1, step, "sdekit::standard_normals_block");
  for (std::size_t c = 0; c < components; c += 2) {
    const auto counter = step_counter(seed, step, static_cast<std::uint32_t>(c / 2));
    for (std::size_t p = 0; p < particles; ++p) {
      double z0, z1;
      box_muller(philox4x32_10(counter, key_of(seed, first_particle + p)), z0, z1);
      out[c * particles + p] = z0;
      if (c + 1 < components) out[(c + 1) * particles + p] = z1;
    }
  }
}

RandomStream::RandomStream(std::uint64_t seed, std::uint64_t particle, std::uint32_t stream)
    : key_(key_of(seed, particle)), seed_high_(static_cast<std::uint32_t>(seed >> 32)), stream_(stream) {
  check_indices(particle, 0, "sdekit::RandomStream");
  detail::require(stream < (std::uint32_t{1} << 31), "sdekit::RandomStream", "stream", stream, "must be below 2^31");
}

std::uint64_t RandomStream::next_u64() {
  if (used_ >= 4) {
    // The top bit of the last counter word separates these streams from the Wiener increments (steps < 2^63).
    buffer_ = philox4x32_10({static_cast<std::uint32_t>(block_), static_cast<std::uint32_t>(block_ >> 32), seed_high_,
                             0x80000000u | stream_},
                            key_);
    ++block_;
    used_ = 0;
  }
  const std::uint64_t value = (std::uint64_t{buffer_[used_ + 1]} << 32) | buffer_[used_];
  used_ += 2;
  return value;
}

double RandomStream::uniform() { return (static_cast<double>(next_u64() >> 11) + 0.5) * two_to_minus_53; }

double RandomStream::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double r = std::sqrt(-2.0 * std::log(uniform()));
  const double theta = two_pi * uniform();
  spare_normal_ = r * std::sin(theta);
  has_spare_normal_ = true;
  return r * std::cos(theta);
}

}  // namespace sdekit
