// The sparse microkernel: one row of C, 28 columns (7 vectors) at a time, over the row's non-zeros of A only
// (sparse_rows.h gathers them), and the kernels for the last N % 28 columns.
// Included by kernels_wasmsimd.cpp alone: its unnamed namespace keeps the code's internal linkage there, so the
// inliner sees it as when it was written in that file.
#pragma once
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "gemm_driver.h"
#include "sparse_rows.h"

namespace scratchnet {
namespace {

// Columns a block: 7 vectors. V8 loads a non-zero's vectors of B before its multiplies, so a block holds 2V + 1 of
// x86's 16 vector registers (one is V8's scratch): 7 fit, where 8 kept two accumulators on the stack, reloaded
// and stored at every non-zero (performance.md).
constexpr int kSparseBlockColumns = 28;

// Columns [col, col + 4V + S) of one row of C, in one pass over the row's non-zeros: V vector and S scalar
// accumulators (the tail of N that is no whole block still costs a single pass). One non-zero an
// iteration: with the rows' offsets precomputed (Nonzero), it beat two an iteration (performance.md).
template <int V, int S, class Epilogue>
__attribute__((always_inline)) inline void row_block(const Nonzero* nz, int count, const float* B, const float* bias, int row, int col, Epilogue& out) {
  v128_t acc[V > 0 ? V : 1];
  float tail[S > 0 ? S : 1];
  for (int j = 0; j < V; ++j) acc[j] = bias ? wasm_v128_load(bias + col + 4 * j) : wasm_f32x4_splat(0.f);
  for (int s = 0; s < S; ++s) tail[s] = bias ? bias[col + 4 * V + s] : 0.f;
  for (int t = 0; t < count; ++t) {
    const float* b = B + nz[t].offset + col;
    const v128_t x = wasm_f32x4_splat(nz[t].value);
    for (int j = 0; j < V; ++j) acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(x, wasm_v128_load(b + 4 * j)));
    for (int s = 0; s < S; ++s) tail[s] += nz[t].value * b[4 * V + s];
  }
  for (int j = 0; j < V; ++j) out.vector(row, col + 4 * j, acc[j]);
  for (int s = 0; s < S; ++s) out.scalar(row, col + 4 * V + s, tail[s]);
}

// The ragged end of N from column `col`, one column at a time, summed in the order the blocks sum.
template <class Epilogue>
void tail_columns(const Nonzero* nz, int count, const float* B, const float* start, int row, int col, Epilogue& out) {
  for (int c = col; c < static_cast<int>(out.N); ++c) {
    float sum = start ? start[c] : 0.f;
    for (int t = 0; t < count; ++t) sum += nz[t].value * B[nz[t].offset + c];
    out.scalar(row, c, sum);
  }
}

// The last N % 28 columns: their whole vectors in up to three passes (4, 2 and 1 vectors), then the last 1..3
// columns one at a time. Each element's sum runs in the same order in any split, so the split changes no bit; a
// kernel per width (4V + S) would cost 28 copies of the block per epilogue, a fifth of the module.
template <class Epilogue>
void tail_vectors_then_columns(const Nonzero* nz, int count, const float* B, const float* start, int row, int col,
                               Epilogue& out) {
  const int vectors = (static_cast<int>(out.N) - col) / 4;
  if (vectors & 4) row_block<4, 0>(nz, count, B, start, row, col, out), col += 16;
  if (vectors & 2) row_block<2, 0>(nz, count, B, start, row, col, out), col += 8;
  if (vectors & 1) row_block<1, 0>(nz, count, B, start, row, col, out), col += 4;
  if (col < static_cast<int>(out.N)) tail_columns(nz, count, B, start, row, col, out);
}

// The kernel for the last N % 28 columns. For a long epilogue (Adam's), one column at a time: vector blocks with
// it inlined would double the module's size.
template <class Epilogue>
RowBlockFn<Epilogue> tail_block() {
  if constexpr (Epilogue::kLongCode)
    return &tail_columns<Epilogue>;
  else
    return &tail_vectors_then_columns<Epilogue>;
}

}  // namespace
}  // namespace scratchnet

#endif  // __wasm_simd128__
