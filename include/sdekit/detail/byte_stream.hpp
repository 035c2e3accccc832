#pragma once
// Plain byte messages for what processes of a distributed ensemble send each other: trivially copyable values and
// runs of doubles copied bit for bit, strings with their length. Reading past the end throws instead of reading
// out of range.
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace sdekit::detail {

/// Appends values to a byte string.
class ByteWriter {
 public:
  /// Appends the bytes of a trivially copyable value.
  template <class T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  /// Appends n doubles.
  void put_doubles(const double* data, std::size_t n) {
    bytes_.append(reinterpret_cast<const char*>(data), n * sizeof(double));
  }
  /// Appends a string and its length.
  void put_string(const std::string& text) {
    put(text.size());
    bytes_.append(text);
  }
  /// The bytes written so far.
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

/// Reads back what a ByteWriter wrote, in the same order.
class ByteReader {
 public:
  /// Reads from `bytes`, which must outlive the reader.
  explicit ByteReader(const std::string& bytes) : bytes_(bytes) {}
  /// Reads a trivially copyable value.
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  /// Reads n doubles into `out`.
  void read_doubles(double* out, std::size_t n) {
    if (n > 0) std::memcpy(out, take(n * sizeof(double)), n * sizeof(double));
  }
  /// Reads n doubles.
  std::vector<double> get_doubles(std::size_t n) {
    std::vector<double> out(n);
    read_doubles(out.data(), n);
    return out;
  }
  /// Reads a string written by put_string.
  std::string get_string() {
    const auto n = get<std::size_t>();
    return std::string(take(n), n);
  }

 private:
  const char* take(std::size_t n) {
    if (n > bytes_.size() - at_) throw std::length_error("sdekit: a distributed ensemble's message ended early");
    const char* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }
  const std::string& bytes_;
  std::size_t at_ = 0;
};

}  // namespace sdekit::detail
