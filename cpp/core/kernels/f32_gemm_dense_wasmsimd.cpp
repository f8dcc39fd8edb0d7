// Dense C = A·B (+ bias) (then ReLU) with 128-bit wasm SIMD, for inputs with few zeros (Fashion-MNIST centred,
// MNIST inverted, a hidden layer's input): a tile of C held in registers, A's entries broadcast, B's row segment
// loaded once for the tile's rows. Every element sums from its start (the bias, or 0) over k in order, as the
// sparse kernels do: a zero term changes no sum, so the two paths agree to float rounding (in practice, exactly).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstddef>

#include "aligned_buffer.h"
#include "kernels.h"
#include "parallel.h"

namespace scratchnet {

namespace {

inline v128_t relu_v(v128_t x) { return wasm_v128_and(x, wasm_f32x4_gt(x, wasm_f32x4_splat(0.f))); }

// C[MR×4V] at C, a tile of rows of A (stride lda) against columns of B (stride ldb), K deep; MR ≤ 4, V ≤ 2.
// f32_gemm_4x8_wasmsimd is the full tile, MR = 4 and V = 2 (8 columns); the smaller ones finish the edges.
template <int MR, int V>
inline void f32_gemm_tile_wasmsimd(int K, const float* A, size_t lda, const float* B, size_t ldb, const float* start,
                                   float* C, size_t ldc, bool relu) {
  v128_t acc[MR][V];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = start ? wasm_v128_load(start + 4 * v) : wasm_f32x4_splat(0.f);
  for (int k = 0; k < K; ++k) {
    v128_t b[V];
    for (int v = 0; v < V; ++v) b[v] = wasm_v128_load(B + static_cast<size_t>(k) * ldb + 4 * v);
    for (int r = 0; r < MR; ++r) {
      const v128_t a = wasm_f32x4_splat(A[r * lda + k]);
      for (int v = 0; v < V; ++v) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(a, b[v]));
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < V; ++v) wasm_v128_store(C + r * ldc + 4 * v, relu ? relu_v(acc[r][v]) : acc[r][v]);
}

void f32_gemm_4x8_wasmsimd(int K, const float* A, size_t lda, const float* B, size_t ldb, const float* start, float* C,
                           size_t ldc, bool relu) {
  f32_gemm_tile_wasmsimd<4, 2>(K, A, lda, B, ldb, start, C, ldc, relu);
}

// Rows [0, M) of the columns [col, col + 4V): B's K × 4V block packed contiguous first (read in place, each k
// would be a row 4N bytes on, a new page every few k), then full 4-row tiles and the last M % 4 rows over it.
template <int V>
void column_block(int M, int K, const float* A, const float* B, size_t N, const float* bias, float* C, int col,
                  bool relu) {
  thread_local FloatBuffer packed;
  if (packed.size() < static_cast<size_t>(K) * 4 * V) packed.resize(static_cast<size_t>(K) * 4 * V);
  for (int k = 0; k < K; ++k)
    for (int v = 0; v < V; ++v)
      wasm_v128_store(packed.data() + (static_cast<size_t>(k) * V + v) * 4, wasm_v128_load(B + k * N + col + 4 * v));
  const float* panel = packed.data();
  const size_t ldb = 4 * V;
  const float* start = bias ? bias + col : nullptr;
  int row = 0;
  for (; row + 4 <= M; row += 4) {
    if constexpr (V == 2)
      f32_gemm_4x8_wasmsimd(K, A + static_cast<size_t>(row) * K, K, panel, ldb, start, C + row * N + col, N, relu);
    else
      f32_gemm_tile_wasmsimd<4, V>(K, A + static_cast<size_t>(row) * K, K, panel, ldb, start, C + row * N + col, N, relu);
  }
  const float* a = A + static_cast<size_t>(row) * K;
  float* c = C + static_cast<size_t>(row) * N + col;
  switch (M - row) {
    case 3: f32_gemm_tile_wasmsimd<3, V>(K, a, K, panel, ldb, start, c, N, relu); break;
    case 2: f32_gemm_tile_wasmsimd<2, V>(K, a, K, panel, ldb, start, c, N, relu); break;
    case 1: f32_gemm_tile_wasmsimd<1, V>(K, a, K, panel, ldb, start, c, N, relu); break;
    default: break;
  }
}

// The last N % 4 columns, one element at a time, summed in the same order.
void last_columns(int M, int K, const float* A, const float* B, size_t N, const float* bias, float* C, int col,
                  bool relu) {
  for (int m = 0; m < M; ++m)
    for (size_t n = col; n < N; ++n) {
      float sum = bias ? bias[n] : 0.f;
      for (int k = 0; k < K; ++k) sum += A[static_cast<size_t>(m) * K + k] * B[static_cast<size_t>(k) * N + n];
      C[m * N + n] = relu ? (sum > 0.f ? sum : 0.f) : sum;
    }
}

}  // namespace

void f32_gemm_dense_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C,
                             bool relu) {
  // Each thread a run of 8-column blocks (the last takes the ragged end): each element is summed by one thread,
  // in order, so one and two threads agree to the bit. The block of B (K × 8 floats) stays in cache while every
  // row of A passes it.
  const int blocks = N / 8;
  run_parts([&](int part, int parts) {
    int first, end;
    part_range(blocks, part, parts, &first, &end);
    for (int block = first; block < end; ++block) column_block<2>(M, K, A, B, N, bias, C, 8 * block, relu);
    if (part + 1 == parts) {
      int col = 8 * blocks;
      if (col + 4 <= N) {
        column_block<1>(M, K, A, B, N, bias, C, col, relu);
        col += 4;
      }
      if (col < N) last_columns(M, K, A, B, N, bias, C, col, relu);
    }
  });
}

}  // namespace scratchnet
#endif  // __wasm_simd128__
