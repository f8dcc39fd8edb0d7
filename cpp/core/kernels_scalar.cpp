// The fast kernels in plain C++: sparse rows of A, column blocks of B, accumulators in registers.
// The scalar wasm build and the native build run these.
#include <array>
#include <cmath>
#include <utility>

#include "kernels.h"
#include "gemm_driver.h"
#include "sparse_rows.h"

namespace scratchnet {

namespace {

// Columns [col, col + Width) of one row of C, in one pass over the row's non-zeros.
template <int Width, class Epilogue>
void row_block(const Nonzero* nz, int count, const float* B, const float* bias, int row, int col, Epilogue& out) {
  float acc[Width > 0 ? Width : 1];
  for (int j = 0; j < Width; ++j) acc[j] = bias ? bias[col + j] : 0.f;
  for (int t = 0; t < count; ++t) {
    const float x = nz[t].value;
    const float* b = B + nz[t].offset + col;
    for (int j = 0; j < Width; ++j) acc[j] += x * b[j];
  }
  for (int j = 0; j < Width; ++j) out.scalar(row, col + j, acc[j]);
}

template <class Epilogue, int... W>
constexpr std::array<RowBlockFn<Epilogue>, 8> make_tail_blocks(std::integer_sequence<int, W...>) {
  return {{&row_block<W, Epilogue>...}};
}
// The tail blocks by width, 0..7 columns: the rest of N after whole blocks of 8, in a single pass.
template <class Epilogue>
constexpr std::array<RowBlockFn<Epilogue>, 8> kTailBlocks = make_tail_blocks<Epilogue>(std::make_integer_sequence<int, 8>{});

// C = A·B (+ bias) through the shared driver, with this file's microkernels: blocks of 8 columns.
template <class Epilogue>
void gemm_panels(int M, int K, int N, const float* A, const float* B, const float* bias, Epilogue& out) {
  scratchnet::gemm_panels(M, K, N, A, B, bias, out, 8, &row_block<8, Epilogue>, kTailBlocks<Epilogue>[N % 8]);
}

// A's share of non-zero entries from which the dense tiles (kernels/f32_gemm_dense_scalar.cpp) beat skipping the
// zeros (higher than the SIMD build's: the scalar sparse kernels lose less to the gather; performance.md); N below
// one tile stays with the sparse kernels.
constexpr double kDenseFromShare = 0.9;

bool dense_pays(int M, int K, int N, const float* A) {
  if (N < 4) return false;
  const size_t count = static_cast<size_t>(M) * K;
  size_t nonzero = 0;
  for (size_t i = 0; i < count; ++i) nonzero += A[i] != 0.f;
  return static_cast<double>(nonzero) >= kDenseFromShare * static_cast<double>(count);
}

}  // namespace

void f32_gemm_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  if (dense_pays(M, K, N, A)) return f32_gemm_dense_scalar(M, K, N, A, B, bias, C, false);
  StoreC out{C, static_cast<size_t>(N)};
  gemm_panels(M, K, N, A, B, bias, out);
}

void f32_gemm_relu_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  if (dense_pays(M, K, N, A)) return f32_gemm_dense_scalar(M, K, N, A, B, bias, C, true);
  StoreC out{C, static_cast<size_t>(N), true};
  gemm_panels(M, K, N, A, B, bias, out);
}

void f32_gemm_relu_backward_scalar(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                   float* C) {
  if (dense_pays(M, K, N, A)) return f32_gemm_dense_scalar(M, K, N, A, B, nullptr, C, false, relu_output);
  StoreC out{C, static_cast<size_t>(N), false, relu_output};
  gemm_panels(M, K, N, A, B, nullptr, out);
}

bool f32_gemm_momentum_step_scalar(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                   float momentum, const DeferredSteps* deferred, float weight_decay) {
  MomentumStep out{W, V, static_cast<size_t>(N), lr, momentum, deferred, weight_decay};
  momentum_step_panels(K, M, N, X, D, out, 8, &row_block<8, MomentumStep>, kTailBlocks<MomentumStep>[N % 8]);
  return out.finite();
}

void f32_column_sums_scalar(int M, int N, const float* A, float* sums) {
  for (int n = 0; n < N; ++n) sums[n] = 0.f;
  for (int m = 0; m < M; ++m) {
    const float* row = A + static_cast<size_t>(m) * N;
    for (int n = 0; n < N; ++n) sums[n] += row[n];
  }
}

bool f32_gemm_momentum_step_then_forward_relu_scalar(int K, int M, int N, const float* X, const float* D, float* W,
                                                        float* V, float lr, float momentum, const DeferredSteps* deferred, int Mn,
                                                        const float* Xn, const float* bias, float* Y, float weight_decay, bool relu) {
  const bool finite = f32_gemm_momentum_step_scalar(K, M, N, X, D, W, V, lr, momentum, deferred, weight_decay);
  if (relu)
    f32_gemm_relu_scalar(Mn, K, N, Xn, W, bias, Y);
  else
    f32_gemm_scalar(Mn, K, N, Xn, W, bias, Y);
  return finite;
}

bool f32_momentum_step_scalar(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
  MomentumStep step{w, v, 0, lr, momentum};
  for (size_t i = 0; i < n; ++i) step.scalar(0, static_cast<int>(i), g[i]);
  return step.finite();
}

bool f32_gemm_adam_step_scalar(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                               const AdamRule& rule, const DeferredSteps* deferred) {
  AdamStep out{W, M1, M2, static_cast<size_t>(N), rule, deferred};
  momentum_step_panels(K, M, N, X, D, out, 8, &row_block<8, AdamStep>, kTailBlocks<AdamStep>[N % 8]);
  return out.finite();
}

bool f32_gemm_adam_step_then_forward_relu_scalar(int K, int M, int N, const float* X, const float* D, float* W,
                                                 float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                 const float* bias, float* Y, const DeferredSteps* deferred, bool relu) {
  const bool finite = f32_gemm_adam_step_scalar(K, M, N, X, D, W, M1, M2, rule, deferred);
  if (relu)
    f32_gemm_relu_scalar(Mn, K, N, Xn, W, bias, Y);
  else
    f32_gemm_scalar(Mn, K, N, Xn, W, bias, Y);
  return finite;
}

bool f32_adam_step_scalar(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule) {
  AdamStep step{w, m, v, 0, rule};
  for (size_t i = 0; i < n; ++i) step.scalar(0, static_cast<int>(i), g[i]);
  return step.finite();
}

#if !defined(__wasm_simd128__)
const char* kernel_backend() { return "scalar"; }
#endif

}  // namespace scratchnet
