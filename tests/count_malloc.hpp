#pragma once
// Counts the C library's malloc, calloc and realloc calls in `allocations`, for the suites that prove a step loop
// allocates nothing. It defines those functions, so include it in one file of a test executable only. Where the
// calls cannot be counted (another C library, or a sanitizer that owns malloc) SDEKIT_TEST_COUNTS_MALLOC stays
// undefined and `allocations` stays 0.
#include <atomic>
#include <cstddef>

// Sanitizers own malloc (GCC says so with __SANITIZE_ADDRESS__, Clang with __has_feature): no counting there.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define SDEKIT_TEST_SANITIZED_MALLOC 1
#endif
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && \
    !defined(SDEKIT_TEST_SANITIZED_MALLOC)
#define SDEKIT_TEST_COUNTS_MALLOC 1
namespace {
std::atomic<long> allocations{0};
}  // namespace
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
}
#else
namespace {
std::atomic<long> allocations{0};  // not counted (another C library, or a sanitizer that owns malloc)
}  // namespace
#endif
