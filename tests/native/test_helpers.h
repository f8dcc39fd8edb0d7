// Shared helpers of the scratchnet test suite (header-only). Everything random comes from
// scratchnet::Rng so the native and the wasm builds see the same data.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dataset.h"
#include "rng.h"
#include "status.h"

// Expects an error message to mention `needle` (so an empty message, i.e. success, fails too).
// Streams extra context like any EXPECT_*.
#define EXPECT_ERROR_CONTAINS(error, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, error)

namespace scratchnet_test {

using scratchnet::Dataset;
using scratchnet::Rng;
using scratchnet::Status;

// An IDX file: magic (0, 0, type, rank), big-endian dims, then the bytes as given.
inline std::vector<uint8_t> make_idx(uint8_t type, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    out.push_back(static_cast<uint8_t>(d >> 24));
    out.push_back(static_cast<uint8_t>(d >> 16));
    out.push_back(static_cast<uint8_t>(d >> 8));
    out.push_back(static_cast<uint8_t>(d));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline std::vector<uint8_t> idx_images(uint32_t count, uint32_t rows, uint32_t cols, const std::vector<uint8_t>& pixels) {
  return make_idx(0x08, {count, rows, cols}, pixels);
}

inline std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels) {
  return make_idx(0x08, {static_cast<uint32_t>(labels.size())}, labels);
}

// Uniform floats in [lo, hi).
inline std::vector<float> random_floats(Rng& rng, size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) x = lo + (hi - lo) * rng.uniform();
  return v;
}

// A labelled image set held as raw pixels, before it is turned into IDX bytes.
struct RawSet {
  uint32_t rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // [count × rows × cols]
  std::vector<uint8_t> labels;  // [count]
  size_t count() const { return labels.size(); }
  std::vector<uint8_t> images_file() const { return idx_images(static_cast<uint32_t>(count()), rows, cols, pixels); }
  std::vector<uint8_t> labels_file() const { return idx_labels(labels); }
};

// A linearly separable 4×4 set: class c (0..classes-1, at most 4) lights its own 2×2 quadrant brightly,
// the rest of the image is mostly exact zeros (as MNIST's background is) with some faint noise.
inline RawSet make_quadrant_set(size_t count, int classes, uint64_t seed) {
  Rng rng(seed);
  RawSet set;
  set.rows = 4;
  set.cols = 4;
  set.pixels.resize(count * 16);
  set.labels.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.below(static_cast<uint32_t>(classes)));
    set.labels[i] = static_cast<uint8_t>(label);
    const int qr = (label / 2) * 2, qc = (label % 2) * 2;
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) {
        const bool lit = r >= qr && r < qr + 2 && c >= qc && c < qc + 2;
        uint8_t value = 0;
        if (lit) value = static_cast<uint8_t>(160 + rng.below(96));
        else if (rng.below(4) == 0) value = static_cast<uint8_t>(rng.below(60));
        set.pixels[i * 16 + r * 4 + c] = value;
      }
    }
  }
  return set;
}

// `count` square images of `side` pixels a side and labels below `classes`: pixel p of an image of class c is lit
// (1..255 at random) with a chance of lit_percent(c, p) in 100, else an exact zero.
template <class LitPercent>
RawSet make_speckled_set(size_t count, uint32_t side, int classes, uint64_t seed, LitPercent lit_percent) {
  Rng rng(seed);
  RawSet set;
  set.rows = set.cols = side;
  const size_t pixels = static_cast<size_t>(side) * side;
  set.pixels.resize(count * pixels);
  set.labels.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.below(static_cast<uint32_t>(classes)));
    set.labels[i] = static_cast<uint8_t>(label);
    for (size_t p = 0; p < pixels; ++p)
      if (rng.below(100) < static_cast<uint32_t>(lit_percent(label, static_cast<int>(p))))
        set.pixels[i * pixels + p] = static_cast<uint8_t>(1 + rng.below(255));
  }
  return set;
}

// Dataset::from_idx of a raw set; a failure is reported and leaves an empty dataset.
inline Dataset load_dataset(const RawSet& set, size_t limit = 0) {
  Dataset data;
  const Status s = Dataset::from_idx(set.images_file(), set.labels_file(), limit, &data);
  EXPECT_TRUE(s.ok()) << s.error;
  return data;
}

inline bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

// The first of Y[M×N] = X[M×K]·W + bias (or its ReLU) where `got` and `want` differ by more than two orders of
// summation can, or -1: the fused step and forward sums in two runs of W's rows and adds them, where the plain
// forward sums in one (each order is within K rounding errors, 2⁻²⁴ each, of Σ|x·w| + |bias|).
inline long first_beyond_rounding(const std::vector<float>& got, const std::vector<float>& want, int M, int K, int N,
                                  const float* X, const float* W, const float* bias) {
  for (int m = 0; m < M; ++m) {
    std::vector<double> scale(N);
    for (int n = 0; n < N; ++n) scale[n] = std::fabs(bias[n]);
    for (int k = 0; k < K; ++k) {
      const double x = std::fabs(X[static_cast<size_t>(m) * K + k]);
      if (x == 0.0) continue;
      for (int n = 0; n < N; ++n) scale[n] += x * std::fabs(W[static_cast<size_t>(k) * N + n]);
    }
    for (int n = 0; n < N; ++n) {
      const size_t i = static_cast<size_t>(m) * N + n;
      const double bound = 2.0 * (K + 1) * std::ldexp(scale[n], -24);
      if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= bound)) return static_cast<long>(i);
    }
  }
  return -1;
}

}  // namespace scratchnet_test
