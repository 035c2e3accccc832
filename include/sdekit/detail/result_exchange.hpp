#pragma once
// The parts of an ensemble's result that the processes of a distributed run send each other besides the
// statistics: failed particles and the kept paths each process recorded. Both storage modes (EnsembleRecorder's
// stored states and the statistics-only run) write and read them the same way.
#include <sdekit/core/state.hpp>
#include <sdekit/detail/byte_stream.hpp>
#include <sdekit/ensemble/result.hpp>

#include <cstddef>
#include <vector>

namespace sdekit::detail {

/// Writes a state's `dimension` components.
template <class X>
void put_state(ByteWriter& out, const X& x, std::size_t dimension) {
  for (std::size_t c = 0; c < dimension; ++c) out.put(component(x, c));
}

/// Reads a state that put_state wrote.
template <class X>
X get_state(ByteReader& in, std::size_t dimension) {
  X x = make_state<X>(dimension);
  for (std::size_t c = 0; c < dimension; ++c) set_component(x, c, in.get<double>());
  return x;
}

/// Writes this process's failures.
template <class X>
void put_failures(ByteWriter& out, const std::vector<FailedParticle<X>>& failures, std::size_t dimension) {
  out.put(failures.size());
  for (const FailedParticle<X>& f : failures) {
    out.put(f.index);
    out.put(f.time);
    put_state(out, f.last_state, dimension);
    out.put_string(f.reason);
  }
}

/// Appends the failures that put_failures wrote to `into`.
template <class X>
void get_failures(ByteReader& in, std::vector<FailedParticle<X>>& into, std::size_t dimension) {
  const auto count = in.get<std::size_t>();
  for (std::size_t j = 0; j < count; ++j) {
    FailedParticle<X> f;
    f.index = in.get<std::size_t>();
    f.time = in.get<double>();
    f.last_state = get_state<X>(in, dimension);
    f.reason = in.get_string();
    into.push_back(std::move(f));
  }
}

/// Writes the kept paths this process recorded (those with times), by their slot in `paths`.
template <class X>
void put_recorded_paths(ByteWriter& out, const std::vector<ParticlePath<X>>& paths, std::size_t dimension) {
  std::size_t recorded = 0;
  for (const ParticlePath<X>& path : paths) recorded += !path.times.empty();
  out.put(recorded);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const ParticlePath<X>& path = paths[i];
    if (path.times.empty()) continue;
    out.put(i);
    out.put(path.times.size());
    out.put_doubles(path.times.data(), path.times.size());
    for (const X& x : path.states) put_state(out, x, dimension);
  }
}

/// Fills the slots of `paths` that put_recorded_paths wrote.
template <class X>
void get_recorded_paths(ByteReader& in, std::vector<ParticlePath<X>>& paths, std::size_t dimension) {
  const auto count = in.get<std::size_t>();
  for (std::size_t j = 0; j < count; ++j) {
    const auto slot = in.get<std::size_t>();
    if (slot >= paths.size()) throw std::length_error("sdekit: a distributed ensemble's message names no kept path");
    ParticlePath<X>& path = paths[slot];
    path.times = in.get_doubles(in.get<std::size_t>());
    path.states.clear();
    for (std::size_t t = 0; t < path.times.size(); ++t) path.states.push_back(get_state<X>(in, dimension));
  }
}

}  // namespace sdekit::detail
