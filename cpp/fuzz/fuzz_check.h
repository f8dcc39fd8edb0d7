// The fuzz targets' own assertion: a broken property stops the run (libFuzzer saves the input), with the
// condition and where, in every build type (assert would vanish under NDEBUG).
#pragma once
#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
