// Dense C = A·B (+ bias) (then ReLU, or masked by a ReLU's output) in plain C++: the scalar twin of
// f32_gemm_dense_wasmsimd.cpp, for the scalar build on inputs with few zeros. A tile of C in registers, A's entry
// loaded once for the tile's columns and B's once for its rows; every element sums from its start (the bias, or 0)
// over k in order, as the sparse kernels do, so the two paths agree (a zero term changes no sum).
#include <cstddef>

#include "kernels.h"

namespace scratchnet {

namespace {

// C[MR×NR] at C (row stride N) from MR rows of A (K each) and NR columns of B (row stride N).
template <int MR, int NR>
inline void tile(int K, int N, const float* A, const float* B, const float* start, const float* mask, bool relu,
                 float* C) {
  float sums[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) sums[r][c] = start ? start[c] : 0.f;
  for (int k = 0; k < K; ++k) {
    float b[NR];
    for (int c = 0; c < NR; ++c) b[c] = B[static_cast<size_t>(k) * N + c];
    for (int r = 0; r < MR; ++r) {
      const float a = A[static_cast<size_t>(r) * K + k];
      for (int c = 0; c < NR; ++c) sums[r][c] += a * b[c];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) {
      float sum = sums[r][c];
      if (relu && !(sum > 0.f)) sum = 0.f;
      if (mask && !(mask[static_cast<size_t>(r) * N + c] > 0.f)) sum = 0.f;
      C[static_cast<size_t>(r) * N + c] = sum;
    }
}

}  // namespace

// The full tile: 2 rows × 4 columns, 8 accumulators (with B's 4 entries and A's, 13 registers: wasm's scalar floats
// live in x86's 16 vector registers, and a 4×4 tile's 21 would spill).
void f32_gemm_2x4_scalar(int K, int N, const float* A, const float* B, const float* start, const float* mask,
                         bool relu, float* C) {
  tile<2, 4>(K, N, A, B, start, mask, relu, C);
}

void f32_gemm_dense_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C, bool relu,
                           const float* relu_output) {
  auto at = [&](int row, int col) { return static_cast<size_t>(row) * N + col; };
  auto mask = [&](int row, int col) { return relu_output ? relu_output + at(row, col) : nullptr; };
  const int whole = N - N % 4;
  for (int col = 0; col < whole; col += 4) {
    const float* start = bias ? bias + col : nullptr;
    int row = 0;
    for (; row + 2 <= M; row += 2)
      f32_gemm_2x4_scalar(K, N, A + static_cast<size_t>(row) * K, B + col, start, mask(row, col), relu, C + at(row, col));
    if (row < M) tile<1, 4>(K, N, A + static_cast<size_t>(row) * K, B + col, start, mask(row, col), relu, C + at(row, col));
  }
  // The last N % 4 columns, one element at a time.
  for (int row = 0; row < M; ++row)
    for (int col = whole; col < N; ++col)
      tile<1, 1>(K, N, A + static_cast<size_t>(row) * K, B + col, bias ? bias + col : nullptr, mask(row, col), relu,
                 C + at(row, col));
}

}  // namespace scratchnet
