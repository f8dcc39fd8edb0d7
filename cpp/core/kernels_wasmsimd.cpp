// The fast kernels with 128-bit wasm SIMD: 4 floats a vector, multiply then add (wasm has no
// FMA without relaxed SIMD, which Emscripten 3.1.6 cannot emit in a form browsers accept).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "kernels.h"
#include "sparse_rows.h"

namespace scratchnet {

namespace {

// C[row, col .. col+4V) for one gathered row: V vector accumulators over the row's non-zeros.
template <int V>
inline void gemm_row_block_wasmsimd(const Nonzero* nz, int count, const float* B, size_t N, const float* bias, int col,
                                    float* c) {
  v128_t acc[V];
  for (int j = 0; j < V; ++j) acc[j] = bias ? wasm_v128_load(bias + col + 4 * j) : wasm_f32x4_splat(0.f);
  for (int t = 0; t < count; ++t) {
    const v128_t x = wasm_f32x4_splat(nz[t].value);
    const float* b = B + static_cast<size_t>(nz[t].index) * N + col;
    for (int j = 0; j < V; ++j) acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(x, wasm_v128_load(b + 4 * j)));
  }
  for (int j = 0; j < V; ++j) wasm_v128_store(c + col + 4 * j, acc[j]);
}

inline void gemm_row_column_scalar(const Nonzero* nz, int count, const float* B, size_t N, const float* bias, int col,
                                   float* c) {
  float acc = bias ? bias[col] : 0.f;
  for (int t = 0; t < count; ++t) acc += nz[t].value * B[static_cast<size_t>(nz[t].index) * N + col];
  c[col] = acc;
}

}  // namespace

void f32_gemm_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  thread_local SparseRowPanel panel;
  for (int first = 0; first < M; first += kGemmPanelRows) {
    const int rows = M - first < kGemmPanelRows ? M - first : kGemmPanelRows;
    panel.gather(A, K, first, rows);
    float* c_panel = C + static_cast<size_t>(first) * N;
    int col = 0;
    for (; col + 32 <= N; col += 32)
      for (int r = 0; r < rows; ++r)
        gemm_row_block_wasmsimd<8>(panel.row(r), panel.row_size(r), B, N, bias, col, c_panel + static_cast<size_t>(r) * N);
    for (; col + 4 <= N; col += 4)
      for (int r = 0; r < rows; ++r)
        gemm_row_block_wasmsimd<1>(panel.row(r), panel.row_size(r), B, N, bias, col, c_panel + static_cast<size_t>(r) * N);
    for (; col < N; ++col)
      for (int r = 0; r < rows; ++r)
        gemm_row_column_scalar(panel.row(r), panel.row_size(r), B, N, bias, col, c_panel + static_cast<size_t>(r) * N);
  }
}

void f32_column_sums_wasmsimd(int M, int N, const float* A, float* sums) {
  int n = 0;
  for (; n + 4 <= N; n += 4) {
    v128_t acc = wasm_f32x4_splat(0.f);
    for (int m = 0; m < M; ++m) acc = wasm_f32x4_add(acc, wasm_v128_load(A + static_cast<size_t>(m) * N + n));
    wasm_v128_store(sums + n, acc);
  }
  for (; n < N; ++n) {
    float acc = 0.f;
    for (int m = 0; m < M; ++m) acc += A[static_cast<size_t>(m) * N + n];
    sums[n] = acc;
  }
}

bool f32_momentum_step_wasmsimd(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
  const v128_t mu = wasm_f32x4_splat(momentum);
  const v128_t rate = wasm_f32x4_splat(lr);
  const v128_t zero = wasm_f32x4_splat(0.f);
  v128_t check = zero;  // stays 0 while every w is finite: w·0 is NaN for an infinite or NaN w
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t velocity = wasm_f32x4_add(wasm_f32x4_mul(mu, wasm_v128_load(v + i)), wasm_v128_load(g + i));
    wasm_v128_store(v + i, velocity);
    const v128_t weight = wasm_f32x4_sub(wasm_v128_load(w + i), wasm_f32x4_mul(rate, velocity));
    wasm_v128_store(w + i, weight);
    check = wasm_f32x4_add(check, wasm_f32x4_mul(weight, zero));
  }
  bool finite = wasm_i32x4_all_true(wasm_f32x4_eq(check, zero));
  for (; i < n; ++i) {
    v[i] = momentum * v[i] + g[i];
    w[i] -= lr * v[i];
    if (!(w[i] * 0.f == 0.f)) finite = false;
  }
  return finite;
}

const char* kernel_backend() { return "wasm-simd128"; }

}  // namespace scratchnet
#endif  // __wasm_simd128__
