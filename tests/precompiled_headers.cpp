// The host of the suites' precompiled headers (tests/CMakeLists.txt): nothing of its own.
