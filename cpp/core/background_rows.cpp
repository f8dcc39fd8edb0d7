// The per-batch row operations of the input background (input_background.h): a batch's inputs and output gradients
// pass through them once each. Written as 4-wide loops where wasm SIMD is built in: compiled for size (-Os), they
// stay one compact loop each at the vector speed.
#include <cstddef>

#include "input_background.h"
#include "parallel.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace scratchnet {

namespace {
// to[0..n) = a[i] − b[i] (b null: a[i]).
void difference(int n, const float* a, const float* b, float* to) {
  int i = 0;
#if defined(__wasm_simd128__)
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(a + i);
    wasm_v128_store(to + i, b ? wasm_f32x4_sub(v, wasm_v128_load(b + i)) : v);
  }
#endif
  for (; i < n; ++i) to[i] = b ? a[i] - b[i] : a[i];
}
// Rows at least this many floats in all are split across the threads (a batch of 64 of MNIST's 784 inputs is
// 50,000: on one thread its pass kept the other waiting).
constexpr long kThreadedFloats = 1 << 15;

// each_row(b) for b in [0, rows), split across the threads when the rows are long enough in all.
template <class EachRow>
void for_rows(int rows, int width, const EachRow& each_row) {
  if (thread_count() == 1 || static_cast<long>(rows) * width < kThreadedFloats) {
    for (int b = 0; b < rows; ++b) each_row(b);
    return;
  }
  run_parts([&](int part, int parts) {
    int begin, end;
    part_range(rows, part, parts, &begin, &end);
    for (int b = begin; b < end; ++b) each_row(b);
  });
}
}  // namespace

void split_off_background(int B, int in, const float* x, const float* c, float* rows) {
  for_rows(B, in, [&](int b) {
    difference(in, x + static_cast<size_t>(b) * in, c, rows + static_cast<size_t>(b) * in);
  });
  difference(in, c, nullptr, rows + static_cast<size_t>(B) * in);
}

void rows_then_row(int B, int width, const float* y, const float* row, float* rows) {
  for_rows(B, width, [&](int b) {
    difference(width, y + static_cast<size_t>(b) * width, nullptr, rows + static_cast<size_t>(b) * width);
  });
  difference(width, row, nullptr, rows + static_cast<size_t>(B) * width);
}

void add_row_to_rows(int B, int out, const float* rows, const float* row, float* y, bool relu) {
  for_rows(B, out, [&](int b) {
    const float* from = rows + static_cast<size_t>(b) * out;
    float* to = y + static_cast<size_t>(b) * out;
    int j = 0;
#if defined(__wasm_simd128__)
    for (; j + 4 <= out; j += 4) {
      v128_t sum = wasm_f32x4_add(wasm_v128_load(from + j), wasm_v128_load(row + j));
      if (relu) sum = wasm_v128_and(sum, wasm_f32x4_gt(sum, wasm_f32x4_splat(0.f)));  // as sum > 0 ? sum : 0
      wasm_v128_store(to + j, sum);
    }
#endif
    for (; j < out; ++j) {
      const float sum = from[j] + row[j];
      to[j] = relu ? (sum > 0.f ? sum : 0.f) : sum;
    }
  });
}

}  // namespace scratchnet
