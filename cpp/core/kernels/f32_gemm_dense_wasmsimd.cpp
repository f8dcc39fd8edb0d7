// Dense C = A·B (+ bias) (then ReLU, or masked by a ReLU's output) with 128-bit wasm SIMD, for inputs with few zeros (Fashion-MNIST centred,
// MNIST inverted, a hidden layer's input): a tile of C held in registers, A's entries broadcast, B's row segment
// loaded once for the tile's rows. Every element sums from its start (the bias, or 0) over k in order, as the
// sparse kernels do: a zero term changes no sum, so the two paths agree to float rounding (in practice, exactly).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstddef>

#include "aligned_buffer.h"
#include "kernels.h"
#include "kernels/f32_gemm_tile_wasmsimd.h"
#include "parallel.h"

namespace scratchnet {

namespace {

// What becomes of each sum before it is stored: nothing, a ReLU, or zero where a ReLU's output (`mask`, laid out
// as C) is not positive (the gradient through it).
struct DenseStore {
  bool relu;
  const float* mask;
};

inline v128_t positive_only(v128_t x, v128_t test) { return wasm_v128_and(x, wasm_f32x4_gt(test, wasm_f32x4_splat(0.f))); }

// C[MR×4V] at C (row stride ldc) from rows of A (K each) and a packed block of B.
template <int MR, int V>
inline void store_tile(int K, const float* A, const float* packed, const float* start, float* C, size_t ldc,
                       const float* mask, bool relu) {
  v128_t sums[MR][V];
  f32_gemm_tile_wasmsimd<MR, V>(K, A, K, 1, packed, start, sums);
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < V; ++v) {
      v128_t sum = sums[r][v];
      if (relu) sum = positive_only(sum, sum);
      if (mask) sum = positive_only(sum, wasm_v128_load(mask + r * ldc + 4 * v));
      wasm_v128_store(C + r * ldc + 4 * v, sum);
    }
}

// The full tile: 2 rows × 16 columns, 8 accumulators (with B's four vectors and A's broadcast, 13 of wasm's 16
// registers on x86). Half the broadcasts of a 4×8 tile for the same loads of B and multiplies: 4×8, 3×12, 3×16,
// 5×8, 6×8 and 1×32 all ran the all-lit forward slower (performance.md).
void f32_gemm_2x16_wasmsimd(int K, const float* A, const float* packed, const float* start, float* C, size_t ldc,
                            const float* mask, bool relu) {
  store_tile<2, 4>(K, A, packed, start, C, ldc, mask, relu);
}

// Rows [0, M) of the columns [col, col + 4V): B's block packed, then full 2-row tiles and the last row.
template <int V>
void column_block(int M, int K, const float* A, const float* B, size_t N, const float* bias, float* C, int col,
                  DenseStore store) {
  thread_local FloatBuffer packing;
  const float* packed = pack_columns<V>(K, B, N, col, packing);
  const float* start = bias ? bias + col : nullptr;
  int row = 0;
  for (; row + 2 <= M; row += 2) {
    const float* a = A + static_cast<size_t>(row) * K;
    const size_t at = row * N + col;
    const float* mask = store.mask ? store.mask + at : nullptr;
    if constexpr (V == 4)
      f32_gemm_2x16_wasmsimd(K, a, packed, start, C + at, N, mask, store.relu);
    else
      store_tile<2, V>(K, a, packed, start, C + at, N, mask, store.relu);
  }
  if (row < M) {
    const size_t at = static_cast<size_t>(row) * N + col;
    store_tile<1, V>(K, A + static_cast<size_t>(row) * K, packed, start, C + at, N, store.mask ? store.mask + at : nullptr,
                     store.relu);
  }
}

// The last N % 4 columns, one element at a time, summed in the same order.
void last_columns(int M, int K, const float* A, const float* B, size_t N, const float* bias, float* C, int col,
                  DenseStore store) {
  for (int m = 0; m < M; ++m)
    for (size_t n = col; n < N; ++n) {
      float sum = bias ? bias[n] : 0.f;
      for (int k = 0; k < K; ++k) sum += A[static_cast<size_t>(m) * K + k] * B[static_cast<size_t>(k) * N + n];
      if (store.relu && !(sum > 0.f)) sum = 0.f;
      if (store.mask && !(store.mask[m * N + n] > 0.f)) sum = 0.f;
      C[m * N + n] = sum;
    }
}

}  // namespace

// A B of at most this many floats (the output layer's input gradient: 10 × 2048) is split between the threads by
// rows of C, which both read all of B for; a larger one by columns, each thread reading its own.
constexpr size_t kRowSplitMaxBFloats = size_t{1} << 16;

void f32_gemm_dense_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C,
                             bool relu, const float* relu_output) {
  // Each thread a run of whole 2-row tiles when B is small, else of 16-column blocks (the last takes the ragged
  // end): each element is summed by one thread, in order, so one and two threads agree to the bit. Split by
  // columns, the threads' halves of each row of C lie in adjacent pages, which slowed both (performance.md); B's
  // block (K × 16 floats) stays in cache while every row of A passes it.
  const int blocks = N / 16;
  const bool by_rows = M >= 8 && static_cast<size_t>(K) * N <= kRowSplitMaxBFloats;
  run_parts([&](int part, int parts) {
    int first = 0, end = blocks, row_begin = 0, row_end = M;
    if (by_rows) {
      part_range(M / 2, part, parts, &row_begin, &row_end);
      row_begin *= 2;
      row_end = part + 1 == parts ? M : 2 * row_end;
    } else {
      part_range(blocks, part, parts, &first, &end);
    }
    const int rows = row_end - row_begin;
    const size_t at = static_cast<size_t>(row_begin) * N;
    const float* a = A + static_cast<size_t>(row_begin) * K;
    const DenseStore store{relu, relu_output ? relu_output + at : nullptr};
    for (int block = first; block < end; ++block) column_block<4>(rows, K, a, B, N, bias, C + at, 16 * block, store);
    if (by_rows || part + 1 == parts) {
      int col = 16 * blocks;
      for (; col + 4 <= N; col += 4) column_block<1>(rows, K, a, B, N, bias, C + at, col, store);
      if (col < N) last_columns(rows, K, a, B, N, bias, C + at, col, store);
    }
  });
}

}  // namespace scratchnet
#endif  // __wasm_simd128__
