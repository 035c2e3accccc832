// A tiny check for the snippet programs: each program runs its page's snippets and returns non-zero if a simple
// property of their results does not hold, so a snippet that compiles but no longer does what its page says fails.
#pragma once

#include <cstdio>

namespace sdekit_snippets {

inline int failures = 0;

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "snippet check failed: %s\n", what);
    ++failures;
  }
}

}  // namespace sdekit_snippets
