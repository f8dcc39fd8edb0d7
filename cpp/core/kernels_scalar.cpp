// The fast kernels in plain C++: sparse rows of A, column blocks of B, accumulators in registers.
// The scalar wasm build and the native build run these.
#include <cmath>

#include "kernels.h"
#include "sparse_rows.h"

namespace scratchnet {

namespace {

// C[row, col .. col+W) for one gathered row: W accumulators over the row's non-zeros.
template <int W>
inline void gemm_row_block_scalar(const Nonzero* nz, int count, const float* B, size_t N, const float* bias, int col,
                                  float* c) {
  float acc[W];
  for (int j = 0; j < W; ++j) acc[j] = bias ? bias[col + j] : 0.f;
  for (int t = 0; t < count; ++t) {
    const float x = nz[t].value;
    const float* b = B + static_cast<size_t>(nz[t].index) * N + col;
    for (int j = 0; j < W; ++j) acc[j] += x * b[j];
  }
  for (int j = 0; j < W; ++j) c[col + j] = acc[j];
}

}  // namespace

void f32_gemm_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  thread_local SparseRowPanel panel;
  for (int first = 0; first < M; first += kGemmPanelRows) {
    const int rows = M - first < kGemmPanelRows ? M - first : kGemmPanelRows;
    panel.gather(A, K, first, rows);
    int col = 0;
    for (; col + 8 <= N; col += 8)
      for (int r = 0; r < rows; ++r)
        gemm_row_block_scalar<8>(panel.row(r), panel.row_size(r), B, N, bias, col, C + static_cast<size_t>(first + r) * N);
    for (; col < N; ++col)
      for (int r = 0; r < rows; ++r)
        gemm_row_block_scalar<1>(panel.row(r), panel.row_size(r), B, N, bias, col, C + static_cast<size_t>(first + r) * N);
  }
}

void f32_column_sums_scalar(int M, int N, const float* A, float* sums) {
  for (int n = 0; n < N; ++n) sums[n] = 0.f;
  for (int m = 0; m < M; ++m) {
    const float* row = A + static_cast<size_t>(m) * N;
    for (int n = 0; n < N; ++n) sums[n] += row[n];
  }
}

bool f32_momentum_step_scalar(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
  float check = 0.f;  // stays 0 while every w is finite: w·0 is NaN for an infinite or NaN w
  for (size_t i = 0; i < n; ++i) {
    const float velocity = momentum * v[i] + g[i];
    v[i] = velocity;
    const float weight = w[i] - lr * velocity;
    w[i] = weight;
    check += weight * 0.f;
  }
  return check == 0.f;
}

#if !defined(__wasm_simd128__)
const char* kernel_backend() { return "scalar"; }
#endif

}  // namespace scratchnet
