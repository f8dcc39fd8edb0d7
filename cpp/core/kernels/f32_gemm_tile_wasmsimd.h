// The dense register tile shared by the forward (f32_gemm_dense_wasmsimd.cpp) and the fused weight steps
// (kernels_wasmsimd.cpp): MR rows of C, 4V columns, summed over `inner` in order from a start. A's entry (r, i) is
// A[r·row_stride + i·inner_stride] (A itself, or the transpose of a batch); B's block is packed, 4V floats a row.
#pragma once
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstddef>

#include "aligned_buffer.h"

namespace scratchnet {

// sums[r][v] = start[v] (or 0) + Σ_i A(r, i) · packed[i][v], i in order.
template <int MR, int V>
inline void f32_gemm_tile_wasmsimd(int inner, const float* A, size_t row_stride, size_t inner_stride,
                                   const float* packed, const float* start, v128_t (&sums)[MR][V]) {
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < V; ++v) sums[r][v] = start ? wasm_v128_load(start + 4 * v) : wasm_f32x4_splat(0.f);
  for (int i = 0; i < inner; ++i) {
    v128_t b[V];
    for (int v = 0; v < V; ++v) b[v] = wasm_v128_load(packed + (static_cast<size_t>(i) * V + v) * 4);
    const float* a = A + i * inner_stride;
    for (int r = 0; r < MR; ++r) {
      const v128_t x = wasm_f32x4_splat(a[r * row_stride]);
      for (int v = 0; v < V; ++v) sums[r][v] = wasm_f32x4_add(sums[r][v], wasm_f32x4_mul(x, b[v]));
    }
  }
}

// B's block of columns [col, col + 4V), `rows` rows of stride ldb, copied contiguous into `packed` (resized):
// read in place, each row of a wide B is a new page every few rows.
template <int V>
inline void pack_columns_into(int rows, const float* B, size_t ldb, int col, float* packed) {
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < V; ++v)
      wasm_v128_store(packed + (static_cast<size_t>(i) * V + v) * 4, wasm_v128_load(B + i * ldb + col + 4 * v));
}
template <int V>
inline const float* pack_columns(int rows, const float* B, size_t ldb, int col, FloatBuffer& packed) {
  if (packed.size() < static_cast<size_t>(rows) * 4 * V) packed.resize(static_cast<size_t>(rows) * 4 * V);
  pack_columns_into<V>(rows, B, ldb, col, packed.data());
  return packed.data();
}

}  // namespace scratchnet
#endif  // __wasm_simd128__
