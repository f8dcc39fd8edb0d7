// The fast kernels held against the naive *_reference ones: every variant this build compiles
// (*_scalar always, *_wasmsimd under -msimd128) runs the same typed tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"
#include "sparse_rows.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using scratchnet_test::first_beyond_rounding;
using scratchnet_test::random_floats;

struct ScalarKernels {
  static constexpr const char* kName = "scalar";
  // Its fused step and forward sums the forward as the plain one does: the same bits.
  static constexpr bool kFusedForwardToTheBit = true;
  static void gemm(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_scalar(M, K, N, A, B, bias, C);
  }
  static void column_sums(int M, int N, const float* A, float* sums) { f32_column_sums_scalar(M, N, A, sums); }
  static void gemm_relu(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_relu_scalar(M, K, N, A, B, bias, C);
  }
  static void gemm_relu_backward(int M, int K, int N, const float* A, const float* B, const float* mask, float* C) {
    f32_gemm_relu_backward_scalar(M, K, N, A, B, mask, C);
  }
  static bool momentum_step(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
    return f32_momentum_step_scalar(n, w, v, g, lr, momentum);
  }
  static bool gemm_momentum_step(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                 float momentum, const DeferredSteps* deferred = nullptr) {
    return f32_gemm_momentum_step_scalar(K, M, N, X, D, W, V, lr, momentum, deferred);
  }
  static bool step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                     float momentum, const DeferredSteps* deferred, int Mn, const float* Xn,
                                     const float* bias, float* Y, bool relu = true) {
    return f32_gemm_momentum_step_then_forward_relu_scalar(K, M, N, X, D, W, V, lr, momentum, deferred, Mn, Xn, bias, Y,
                                                       0.f, relu);
  }
};

#if defined(__wasm_simd128__)
struct WasmSimdKernels {
  static constexpr const char* kName = "wasmsimd";
  // Its fused step and forward sums the forward in two runs of W's rows: the plain one's sums to rounding.
  static constexpr bool kFusedForwardToTheBit = false;
  static void gemm(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_wasmsimd(M, K, N, A, B, bias, C);
  }
  static void column_sums(int M, int N, const float* A, float* sums) { f32_column_sums_wasmsimd(M, N, A, sums); }
  static void gemm_relu(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_relu_wasmsimd(M, K, N, A, B, bias, C);
  }
  static void gemm_relu_backward(int M, int K, int N, const float* A, const float* B, const float* mask, float* C) {
    f32_gemm_relu_backward_wasmsimd(M, K, N, A, B, mask, C);
  }
  static bool momentum_step(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
    return f32_momentum_step_wasmsimd(n, w, v, g, lr, momentum);
  }
  static bool gemm_momentum_step(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                 float momentum, const DeferredSteps* deferred = nullptr) {
    return f32_gemm_momentum_step_wasmsimd(K, M, N, X, D, W, V, lr, momentum, deferred);
  }
  static bool step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                     float momentum, const DeferredSteps* deferred, int Mn, const float* Xn,
                                     const float* bias, float* Y, bool relu = true) {
    return f32_gemm_momentum_step_then_forward_relu_wasmsimd(K, M, N, X, D, W, V, lr, momentum, deferred, Mn, Xn, bias, Y,
                                                       0.f, relu);
  }
};
using KernelVariants = ::testing::Types<ScalarKernels, WasmSimdKernels>;
#else
using KernelVariants = ::testing::Types<ScalarKernels>;
#endif

struct VariantName {
  template <typename T>
  static std::string GetName(int) { return T::kName; }
};

template <typename T>
class FastKernels : public ::testing::Test {};
TYPED_TEST_SUITE(FastKernels, KernelVariants, VariantName);

constexpr float kUnitRoundoff = 5.9604645e-8f;  // 2^-24
constexpr float kGuard = 12345.f;               // written after every output: an overrun changes it
constexpr int kGuardCount = 8;

// How A is filled. kSparse: ~80% exact zeros plus whole zero rows (the skipped entries);
// kIntegers: small integers with zeros, whose products and sums are exact in float, so any
// mistake (a skipped non-zero, a wrong row of B) shows as an exact mismatch.
enum class Fill { kDense, kSparse, kIntegers };

const char* fill_name(Fill fill) {
  return fill == Fill::kDense ? "dense" : fill == Fill::kSparse ? "sparse" : "integers";
}

bool is_zero_row(int r, int M) { return r % 3 == 1 || (M > 2 && r == M - 1); }

std::vector<float> make_a(Rng& rng, int M, int K, Fill fill) {
  std::vector<float> A(static_cast<size_t>(M) * K);
  for (int r = 0; r < M; ++r) {
    for (int k = 0; k < K; ++k) {
      float& a = A[static_cast<size_t>(r) * K + k];
      if (fill == Fill::kDense) {
        a = 2.f * rng.uniform() - 1.f;
      } else if (fill == Fill::kSparse) {
        a = is_zero_row(r, M) || rng.uniform() < 0.8f ? 0.f : 2.f * rng.uniform() - 1.f;
      } else {
        a = rng.uniform() < 0.5f ? 0.f : static_cast<float>(static_cast<int>(rng.below(7)) - 3);
      }
    }
  }
  return A;
}

std::vector<float> make_values(Rng& rng, size_t n, bool integers, int int_range) {
  if (!integers) return random_floats(rng, n, -1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(static_cast<int>(rng.below(2 * int_range + 1)) - int_range);
  return v;
}

// Runs one gemm of the variant against the reference; returns "" or a description of the first mismatch.
template <typename Kernels>
std::string check_gemm(Rng& rng, int M, int K, int N, Fill fill, bool with_bias) {
  const bool integers = fill == Fill::kIntegers;
  const std::vector<float> A = make_a(rng, M, K, fill);
  const std::vector<float> B = make_values(rng, static_cast<size_t>(K) * N, integers, 4);
  const std::vector<float> bias = make_values(rng, N, integers, 8);
  const float* bias_ptr = with_bias ? bias.data() : nullptr;

  const size_t count = static_cast<size_t>(M) * N;
  std::vector<float> expected(count);
  f32_gemm_reference(M, K, N, A.data(), B.data(), bias_ptr, expected.data());
  // NaN-filled: an output the kernel forgets to write cannot pass by luck.
  std::vector<float> C(count + kGuardCount, std::numeric_limits<float>::quiet_NaN());
  std::fill(C.begin() + count, C.end(), kGuard);
  Kernels::gemm(M, K, N, A.data(), B.data(), bias_ptr, C.data());

  std::ostringstream trace;
  trace << Kernels::kName << " gemm M=" << M << " K=" << K << " N=" << N << " " << fill_name(fill)
        << (with_bias ? " with bias" : " without bias") << ": ";
  for (int i = 0; i < kGuardCount; ++i)
    if (C[count + i] != kGuard) return trace.str() + "wrote past the end of C";
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      const size_t i = static_cast<size_t>(m) * N + n;
      // Worst-case float summation error of K products plus the bias, with a 2x margin.
      double magnitude = with_bias ? std::fabs(bias[n]) : 0.0;
      for (int k = 0; k < K; ++k)
        magnitude += std::fabs(static_cast<double>(A[static_cast<size_t>(m) * K + k]) * B[static_cast<size_t>(k) * N + n]);
      const double tolerance = integers ? 0.0 : 2.0 * (K + 2) * kUnitRoundoff * magnitude;
      const double error = std::fabs(static_cast<double>(C[i]) - expected[i]);
      if (!(error <= tolerance)) {
        trace << "C[" << m << "][" << n << "] = " << C[i] << ", reference " << expected[i] << ", tolerance " << tolerance;
        return trace.str();
      }
      // A row of A that is all zeros is skipped entirely: its output is exactly the bias (or 0).
      if (fill == Fill::kSparse && is_zero_row(m, M) && C[i] != (with_bias ? bias[n] : 0.f)) {
        trace << "zero row " << m << " gave " << C[i];
        return trace.str();
      }
    }
  }
  return "";
}

// The size grid: odd sizes around the vector widths (4, 8, 32) and the 64-row panel, and MNIST's
// 784 and 2048, skipping the combinations whose reference product would take too long.
template <typename Kernels>
void check_gemm_grid(Fill fill) {
  Rng rng(2024 + static_cast<int>(fill));
  int checked = 0;
  for (int M : {1, 3, 7, 17, 64, 65, 129}) {
    for (int K : {1, 3, 7, 17, 784}) {
      // 1..12: narrow (an output layer); past the 28-column blocks, 55 leaves 27 (4 + 2 vectors and 3 columns), 63 leaves
      // 7 (a vector and 3 columns): every tail pass
      for (int N : {1, 3, 7, 10, 12, 17, 33, 55, 63, 2048}) {
        if (static_cast<long>(M) * K * N > 3000000) continue;
        for (bool with_bias : {false, true}) {
          const std::string mismatch = check_gemm<Kernels>(rng, M, K, N, fill, with_bias);
          ASSERT_EQ(mismatch, "");
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 300);  // the budget must not silently prune the grid away
}

TYPED_TEST(FastKernels, GemmMatchesReferenceOnDenseInputs) { check_gemm_grid<TypeParam>(Fill::kDense); }
TYPED_TEST(FastKernels, GemmMatchesReferenceWithZerosAndZeroRows) { check_gemm_grid<TypeParam>(Fill::kSparse); }
TYPED_TEST(FastKernels, GemmIsExactOnSmallIntegers) { check_gemm_grid<TypeParam>(Fill::kIntegers); }

TYPED_TEST(FastKernels, GemmOfAllZeroAIsTheBias) {
  for (int N : {33, 2048}) {  // a B that fits in cache, and one read in chunks of rows
    SCOPED_TRACE(::testing::Message() << "N=" << N);
    const int M = 5, K = 784;
    Rng rng(1);
    const std::vector<float> A(static_cast<size_t>(M) * K, 0.f);
    const std::vector<float> B = random_floats(rng, static_cast<size_t>(K) * N, -1.f, 1.f);
    const std::vector<float> bias = random_floats(rng, N, -1.f, 1.f);
    std::vector<float> C(static_cast<size_t>(M) * N, std::numeric_limits<float>::quiet_NaN());
    TypeParam::gemm(M, K, N, A.data(), B.data(), bias.data(), C.data());
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) ASSERT_EQ(C[static_cast<size_t>(m) * N + n], bias[n]) << m << "," << n;
    TypeParam::gemm(M, K, N, A.data(), B.data(), nullptr, C.data());
    for (float c : C) ASSERT_EQ(c, 0.f);
  }
}

TYPED_TEST(FastKernels, GemmOverALargeBMatchesTheReferenceWhateverChunksARowLeavesBlank) {
  // B of 300×1024 floats (1.2 MB) is read in chunks of rows; rows of A whose non-zeros leave the first, a
  // middle, the last or every chunk blank must still get bias + their products (and the ReLU) in full.
  const int K = 300, N = 1024;
  Rng rng(77);
  const std::vector<std::pair<int, int>> spans = {{0, 0}, {0, 10}, {250, 300}, {130, 140}, {0, 300}, {60, 70}, {63, 65}};
  const int M = static_cast<int>(spans.size());
  std::vector<float> A(static_cast<size_t>(M) * K, 0.f);
  for (int m = 0; m < M; ++m)
    for (int k = spans[m].first; k < spans[m].second; ++k)
      if (rng.uniform() < 0.7f) A[static_cast<size_t>(m) * K + k] = 2.f * rng.uniform() - 1.f;
  const std::vector<float> B = random_floats(rng, static_cast<size_t>(K) * N, -1.f, 1.f);
  const std::vector<float> bias = random_floats(rng, N, -1.f, 1.f);
  for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
    std::vector<float> C(static_cast<size_t>(M) * N, std::numeric_limits<float>::quiet_NaN()), expected(C.size());
    std::vector<float> C_relu(C.size(), std::numeric_limits<float>::quiet_NaN()), expected_relu(C.size());
    TypeParam::gemm(M, K, N, A.data(), B.data(), b, C.data());
    TypeParam::gemm_relu(M, K, N, A.data(), B.data(), b, C_relu.data());
    f32_gemm_reference(M, K, N, A.data(), B.data(), b, expected.data());
    f32_gemm_relu_reference(M, K, N, A.data(), B.data(), b, expected_relu.data());
    for (size_t i = 0; i < C.size(); ++i) {
      ASSERT_NEAR(C[i], expected[i], 1e-4) << "row " << i / N << (b ? " with bias" : "");
      ASSERT_NEAR(C_relu[i], expected_relu[i], 1e-4) << "row " << i / N << (b ? " with bias" : "");
    }
  }
}

TYPED_TEST(FastKernels, GemmIsRepeatableAcrossPanelScratchReuse) {
  // The panel scratch is reused between calls: a big call then a small one must not see stale entries.
  Rng rng(2);
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ((check_gemm<TypeParam>(rng, 129, 784, 17, Fill::kSparse, true)), "");
    ASSERT_EQ((check_gemm<TypeParam>(rng, 2, 3, 5, Fill::kSparse, false)), "");
    ASSERT_EQ((check_gemm<TypeParam>(rng, 65, 17, 33, Fill::kDense, true)), "");
  }
}

TYPED_TEST(FastKernels, ColumnSumsMatchReference) {
  Rng rng(3);
  for (int M : {1, 3, 17, 64, 65}) {
    for (int N : {1, 3, 4, 5, 7, 17, 33, 2048}) {
      for (bool integers : {false, true}) {
        SCOPED_TRACE(::testing::Message() << TypeParam::kName << " column sums M=" << M << " N=" << N
                                          << (integers ? " integers" : " floats"));
        const std::vector<float> A = make_values(rng, static_cast<size_t>(M) * N, integers, 9);
        std::vector<float> expected(N);
        f32_column_sums_reference(M, N, A.data(), expected.data());
        std::vector<float> sums(N + kGuardCount, std::numeric_limits<float>::quiet_NaN());
        std::fill(sums.begin() + N, sums.end(), kGuard);
        TypeParam::column_sums(M, N, A.data(), sums.data());
        for (int i = 0; i < kGuardCount; ++i) ASSERT_EQ(sums[N + i], kGuard) << "wrote past the end";
        for (int n = 0; n < N; ++n) {
          double magnitude = 0;
          for (int m = 0; m < M; ++m) magnitude += std::fabs(A[static_cast<size_t>(m) * N + n]);
          const double tolerance = integers ? 0.0 : 2.0 * (M + 1) * kUnitRoundoff * magnitude;
          ASSERT_LE(std::fabs(static_cast<double>(sums[n]) - expected[n]), tolerance) << "column " << n;
        }
      }
    }
  }
}

bool same_float(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TYPED_TEST(FastKernels, MomentumStepEqualsReferenceExactly) {
  Rng rng(4);
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{17}, size_t{1000}, size_t{1003}}) {
    for (float momentum : {0.f, 0.9f}) {
      SCOPED_TRACE(::testing::Message() << TypeParam::kName << " momentum step n=" << n << " momentum=" << momentum);
      const std::vector<float> w0 = random_floats(rng, n, -1.f, 1.f);
      const std::vector<float> v0 = random_floats(rng, n, -0.5f, 0.5f);
      const std::vector<float> g = random_floats(rng, n, -2.f, 2.f);
      std::vector<float> w_ref = w0, v_ref = v0, w = w0, v = v0;
      ASSERT_TRUE(f32_momentum_step_reference(n, w_ref.data(), v_ref.data(), g.data(), 0.05f, momentum));
      EXPECT_TRUE(TypeParam::momentum_step(n, w.data(), v.data(), g.data(), 0.05f, momentum));
      // Same operations in the same order (mul, add; mul, sub): bit-identical, not just close.
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(w[i], w_ref[i]) << i;
        ASSERT_EQ(v[i], v_ref[i]) << i;
      }
      if (n > 0 && momentum == 0.f) {
        EXPECT_EQ(w[0], w0[0] - 0.05f * g[0]);  // v = g when momentum is 0
      }
    }
  }
}

TYPED_TEST(FastKernels, ReluFusedIntoTheProductEqualsProductThenRelu) {
  // Forward through a ReLU, and an input gradient through one: the fused stores must give exactly the plain
  // product followed by the ReLU (or its mask), on odd sizes, across the chunked path (K > 64) and tails.
  Rng rng(21);
  for (int M : {1, 3, 64, 65}) {
    for (int K : {1, 10, 63, 65, 784}) {
      for (int N : {1, 3, 10, 33, 63, 100}) {
        SCOPED_TRACE(::testing::Message() << TypeParam::kName << " relu M=" << M << " K=" << K << " N=" << N);
        std::vector<float> A = random_floats(rng, static_cast<size_t>(M) * K, -1.f, 1.f);
        for (float& a : A)
          if (rng.uniform() < 0.5f) a = 0.f;
        const std::vector<float> B = random_floats(rng, static_cast<size_t>(K) * N, -1.f, 1.f);
        const std::vector<float> bias = random_floats(rng, N, -0.5f, 0.5f);
        std::vector<float> mask = random_floats(rng, static_cast<size_t>(M) * N, -1.f, 1.f);
        for (float& m : mask) m = m > 0.f ? m : 0.f;  // a ReLU output: exact zeros and positives
        std::vector<float> plain(static_cast<size_t>(M) * N), fused(plain.size()), reference(plain.size());

        TypeParam::gemm(M, K, N, A.data(), B.data(), bias.data(), plain.data());
        TypeParam::gemm_relu(M, K, N, A.data(), B.data(), bias.data(), fused.data());
        f32_gemm_relu_reference(M, K, N, A.data(), B.data(), bias.data(), reference.data());
        for (size_t i = 0; i < plain.size(); ++i) {
          ASSERT_EQ(fused[i], plain[i] > 0.f ? plain[i] : 0.f) << i;
          ASSERT_NEAR(fused[i], reference[i], 1e-5 * (K + 1)) << i;
        }

        TypeParam::gemm(M, K, N, A.data(), B.data(), nullptr, plain.data());
        TypeParam::gemm_relu_backward(M, K, N, A.data(), B.data(), mask.data(), fused.data());
        f32_gemm_relu_backward_reference(M, K, N, A.data(), B.data(), mask.data(), reference.data());
        for (size_t i = 0; i < plain.size(); ++i) {
          ASSERT_EQ(fused[i], mask[i] > 0.f ? plain[i] : 0.f) << i;
          ASSERT_NEAR(fused[i], reference[i], 1e-5 * (K + 1)) << i;
        }
      }
    }
  }
}

TYPED_TEST(FastKernels, FusedGradientStepEqualsGemmThenStepExactlyAndTheReferenceClosely) {
  // The fused weight-gradient + momentum step must be the unfused pair to the bit (training depends on it
  // being a pure speed-up), and the naive reference up to float rounding, on odd sizes, on sparse inputs and on
  // inputs almost all lit (the SIMD build's dense tiles).
  Rng rng(12);
  for (float zero_share : {0.7f, 0.05f})
  for (int K : {1, 3, 7, 17, 784}) {
    for (int M : {1, 7, 64, 65, 129}) {  // 784×129 inputs: more than one slab of the step's planned rows
      for (int N : {1, 3, 10, 17, 33, 55, 63, 2048}) {
        if (static_cast<long>(K) * M * N > 3'000'000) continue;
        SCOPED_TRACE(::testing::Message() << TypeParam::kName << " fused step K=" << K << " M=" << M << " N=" << N
                                          << " zeros " << zero_share);
        std::vector<float> X = random_floats(rng, static_cast<size_t>(M) * K, 0.f, 1.f);
        for (float& a : X)
          if (rng.uniform() < zero_share) a = 0.f;
        std::vector<float> AT(X.size());
        f32_transpose(M, K, X.data(), AT.data());
        const std::vector<float> D = random_floats(rng, static_cast<size_t>(M) * N, -0.1f, 0.1f);
        const std::vector<float> W0 = random_floats(rng, static_cast<size_t>(K) * N, -1.f, 1.f);
        const std::vector<float> V0 = random_floats(rng, static_cast<size_t>(K) * N, -0.1f, 0.1f);
        std::vector<float> W = W0, V = V0, W_pair = W0, V_pair = V0, W_ref = W0, V_ref = V0;
        ASSERT_TRUE(TypeParam::gemm_momentum_step(K, M, N, X.data(), D.data(), W.data(), V.data(), 0.3f, 0.9f));
        std::vector<float> G(static_cast<size_t>(K) * N);
        TypeParam::gemm(K, M, N, AT.data(), D.data(), nullptr, G.data());
        ASSERT_TRUE(TypeParam::momentum_step(G.size(), W_pair.data(), V_pair.data(), G.data(), 0.3f, 0.9f));
        ASSERT_EQ(W, W_pair);
        ASSERT_EQ(V, V_pair);
        ASSERT_TRUE(f32_gemm_momentum_step_reference(K, M, N, X.data(), D.data(), W_ref.data(), V_ref.data(), 0.3f, 0.9f));
        for (size_t i = 0; i < W.size(); ++i) {
          const double tolerance = 1e-6 * (M + 2);
          ASSERT_NEAR(V[i], V_ref[i], tolerance) << i;
          ASSERT_NEAR(W[i], W_ref[i], tolerance) << i;
        }
      }
    }
  }
  // A gradient that overflows the weights is reported.
  std::vector<float> X = {1.f}, D = {1e30f}, W = {3e38f}, V = {0.f};
  EXPECT_FALSE(TypeParam::gemm_momentum_step(1, 1, 1, X.data(), D.data(), W.data(), V.data(), -1e10f, 0.f));
}

// X[M×K] with every column k where zero_column[k] is set zero, the others `zero_share` zero.
std::vector<float> inputs_with_zero_columns(Rng& rng, int M, int K, const std::vector<uint8_t>& zero_column,
                                            float zero_share = 0.7f) {
  std::vector<float> X = random_floats(rng, static_cast<size_t>(M) * K, 0.f, 1.f);
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k) {
      float& x = X[static_cast<size_t>(m) * K + k];
      if (zero_column[k] || rng.uniform() < zero_share) x = 0.f;
    }
  return X;
}

std::vector<uint8_t> random_flags(Rng& rng, int n, float share) {
  std::vector<uint8_t> flags(n);
  for (auto& f : flags) f = rng.uniform() < share;
  return flags;
}

TYPED_TEST(FastKernels, DeferredStepsMatchTheReference) {
  // Rows with zero input and not needed next wait (W and V untouched to the bit, their count goes up); the
  // others catch up what they owe and step, as the reference does, on odd sizes; with the other columns 70% zero,
  // and fully lit with a tenth of the columns zero (the SIMD build's dense tiles).
  Rng rng(31);
  for (const float zero_share : {0.7f, 0.f})
  for (int K : {1, 5, 17, 130}) {
    for (int M : {1, 7, 64, 600}) {  // 130×600 inputs: more than one slab of the step's planned rows
      for (int N : {1, 3, 10, 37, 100}) {
        SCOPED_TRACE(::testing::Message() << TypeParam::kName << " deferred step K=" << K << " M=" << M << " N=" << N);
        const std::vector<uint8_t> zero_column = random_flags(rng, K, zero_share > 0.f ? 0.5f : 0.1f);
        const std::vector<uint8_t> needed = random_flags(rng, K, 0.5f);
        const std::vector<float> X = inputs_with_zero_columns(rng, M, K, zero_column, zero_share);
        const std::vector<float> D = random_floats(rng, static_cast<size_t>(M) * N, -0.1f, 0.1f);
        const std::vector<float> W0 = random_floats(rng, static_cast<size_t>(K) * N, -1.f, 1.f);
        const std::vector<float> V0 = random_floats(rng, static_cast<size_t>(K) * N, -0.1f, 0.1f);
        std::vector<uint32_t> pending(K), pending_ref;
        for (auto& p : pending) p = static_cast<uint32_t>(rng.uniform() * 4);  // some rows already owe steps
        pending_ref = pending;
        const std::vector<uint32_t> pending0 = pending;
        std::vector<float> W = W0, V = V0, W_ref = W0, V_ref = V0;
        const DeferredSteps deferred{pending.data(), needed.data()}, deferred_ref{pending_ref.data(), needed.data()};
        ASSERT_TRUE(TypeParam::gemm_momentum_step(K, M, N, X.data(), D.data(), W.data(), V.data(), 0.3f, 0.9f, &deferred));
        ASSERT_TRUE(f32_gemm_momentum_step_reference(K, M, N, X.data(), D.data(), W_ref.data(), V_ref.data(), 0.3f, 0.9f,
                                                     &deferred_ref));
        ASSERT_EQ(pending, pending_ref);
        for (int k = 0; k < K; ++k) {
          bool input_zero = true;  // flagged, or all zero by chance
          for (int m = 0; m < M; ++m) input_zero &= X[static_cast<size_t>(m) * K + k] == 0.f;
          const bool waits = input_zero && !needed[k];
          ASSERT_EQ(pending[k], waits ? pending0[k] + 1 : 0u) << "row " << k;
          for (int n = 0; n < N; ++n) {
            const size_t i = static_cast<size_t>(k) * N + n;
            if (waits) {
              ASSERT_EQ(W[i], W0[i]) << "row " << k;
              ASSERT_EQ(V[i], V0[i]) << "row " << k;
            } else {
              ASSERT_NEAR(V[i], V_ref[i], 1e-6 * (M + 2)) << i;
              ASSERT_NEAR(W[i], W_ref[i], 1e-6 * (M + 2)) << i;
            }
          }
        }
      }
    }
  }
}

// Index of the first element where a and b differ in their bits, or -1.
long first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<long>(i);
  return -1;
}

TYPED_TEST(FastKernels, StepThenForwardIsTheStepAndTheForwardInTurn) {
  // The weights to the bit and the outputs up to the order of their sums (the SIMD kernel sums them in two runs of
  // W's rows), on shapes the SIMD kernel fuses (weights over 1 MB: the first layer's shape, a ragged end of N, a
  // next batch of one, one panel and a background's row) and on shapes it hands to the two kernels (too many inputs
  // for one gathered panel, a next batch over that, a small layer); with rows waiting for the next batch and
  // without; with the ReLU, and without it (a forward around an input background).
  Rng rng(41);
  struct Shape {
    int K, M, N, Mn;
  };
  for (const Shape shape : {Shape{784, 64, 2048, 64}, Shape{300, 37, 1000, 29}, Shape{130, 5, 2100, 1},
                            Shape{784, 65, 2048, 65}, Shape{784, 100, 400, 64}, Shape{300, 20, 1000, 66},
                            Shape{40, 8, 37, 8}}) {
    const int K = shape.K, M = shape.M, N = shape.N, Mn = shape.Mn;
    for (const int variant : {0, 1, 2}) {
      const bool defer = variant == 1, relu = variant != 2;
      SCOPED_TRACE(::testing::Message() << TypeParam::kName << " K=" << K << " M=" << M << " N=" << N << " Mn=" << Mn
                                        << (defer ? " deferring" : "") << (relu ? "" : " without the ReLU"));
      const std::vector<float> X = inputs_with_zero_columns(rng, M, K, random_flags(rng, K, 0.3f));
      const std::vector<float> Xn = inputs_with_zero_columns(rng, Mn, K, random_flags(rng, K, 0.3f));
      std::vector<uint8_t> read_next(K, 0);  // as the trainer flags them: the rows the next batch reads
      for (int m = 0; m < Mn; ++m)
        for (int k = 0; k < K; ++k) read_next[k] |= Xn[static_cast<size_t>(m) * K + k] != 0.f;
      const std::vector<float> D = random_floats(rng, static_cast<size_t>(M) * N, -0.1f, 0.1f);
      const std::vector<float> bias = random_floats(rng, N, -0.5f, 0.5f);
      std::vector<float> W = random_floats(rng, static_cast<size_t>(K) * N, -0.2f, 0.2f);
      std::vector<float> V = random_floats(rng, static_cast<size_t>(K) * N, -0.1f, 0.1f);
      std::vector<uint32_t> pending(K);
      for (auto& p : pending) p = static_cast<uint32_t>(rng.uniform() * 3);
      std::vector<float> W_apart = W, V_apart = V;
      std::vector<uint32_t> pending_apart = pending;
      std::vector<float> Y(static_cast<size_t>(Mn) * N + kGuardCount, kGuard), Y_apart = Y;
      const DeferredSteps deferred{pending.data(), read_next.data()}, deferred_apart{pending_apart.data(), read_next.data()};

      ASSERT_TRUE(TypeParam::step_then_forward_relu(K, M, N, X.data(), D.data(), W.data(), V.data(), 0.3f, 0.9f,
                                                    defer ? &deferred : nullptr, Mn, Xn.data(), bias.data(), Y.data(),
                                                    relu));
      ASSERT_TRUE(TypeParam::gemm_momentum_step(K, M, N, X.data(), D.data(), W_apart.data(), V_apart.data(), 0.3f, 0.9f,
                                                defer ? &deferred_apart : nullptr));
      (relu ? TypeParam::gemm_relu : TypeParam::gemm)(Mn, K, N, Xn.data(), W_apart.data(), bias.data(), Y_apart.data());

      EXPECT_EQ(first_difference(W, W_apart), -1) << "weights";
      EXPECT_EQ(first_difference(V, V_apart), -1) << "velocities";
      EXPECT_EQ(first_beyond_rounding(Y, Y_apart, Mn, K, N, Xn.data(), W.data(), bias.data()), -1)
          << "next batch's outputs";
      if (TypeParam::kFusedForwardToTheBit) EXPECT_EQ(first_difference(Y, Y_apart), -1) << "next batch's outputs";
      EXPECT_EQ(pending, pending_apart);
      for (int g = 0; g < kGuardCount; ++g) ASSERT_EQ(Y[static_cast<size_t>(Mn) * N + g], kGuard);
    }
  }
}

#if defined(__wasm_simd128__)
TEST(Kernels, StepThenForwardFusesASparseNextBatchAndHandsADenseOneToTheDenseTiles) {
  // The fused kernel sums the next batch in two runs of W's rows, the plain forward in one, so their outputs differ
  // in rounding where it fused. A next batch lit below the dense tiles' crossover (70%) is fused; one lit above it
  // takes the step, then the dense tiles' forward, to the plain forward's bits.
  Rng rng(43);
  constexpr int K = 784, M = 64, N = 2048, Mn = 64;
  const std::vector<float> X = inputs_with_zero_columns(rng, M, K, random_flags(rng, K, 0.8f));
  const std::vector<float> D = random_floats(rng, static_cast<size_t>(M) * N, -0.1f, 0.1f);
  const std::vector<float> bias = random_floats(rng, N, -0.5f, 0.5f);
  const std::vector<float> W0 = random_floats(rng, static_cast<size_t>(K) * N, -0.2f, 0.2f);
  const std::vector<float> V0 = random_floats(rng, static_cast<size_t>(K) * N, -0.1f, 0.1f);
  for (const float lit : {0.2f, 0.6f, 0.8f, 1.f}) {
    SCOPED_TRACE(::testing::Message() << "next batch " << lit * 100 << "% lit");
    std::vector<float> Xn(static_cast<size_t>(Mn) * K);
    for (float& x : Xn) x = rng.uniform() < lit ? 0.1f + rng.uniform() : 0.f;
    std::vector<float> W = W0, V = V0, W_apart = W0, V_apart = V0;
    std::vector<float> Y(static_cast<size_t>(Mn) * N), Y_apart = Y;
    ASSERT_TRUE(f32_gemm_momentum_step_then_forward_relu_wasmsimd(K, M, N, X.data(), D.data(), W.data(), V.data(), 0.3f,
                                                                  0.9f, nullptr, Mn, Xn.data(), bias.data(), Y.data()));
    ASSERT_TRUE(f32_gemm_momentum_step_wasmsimd(K, M, N, X.data(), D.data(), W_apart.data(), V_apart.data(), 0.3f, 0.9f));
    f32_gemm_relu_wasmsimd(Mn, K, N, Xn.data(), W_apart.data(), bias.data(), Y_apart.data());
    EXPECT_EQ(first_difference(W, W_apart), -1) << "weights";
    EXPECT_EQ(first_beyond_rounding(Y, Y_apart, Mn, K, N, Xn.data(), W.data(), bias.data()), -1);
    EXPECT_EQ(first_difference(Y, Y_apart) != -1, lit < 0.7f) << "fused";
  }
}
#endif

TYPED_TEST(FastKernels, DeferredStepsCaughtUpEqualTakingEveryStep) {
  // A run of steps where rows wait while their input is zero now and next, ending with a step that needs
  // every row, leaves W and V where stepping every row every time does, up to float rounding.
  Rng rng(32);
  for (int N : {3, 37, 64}) {
    constexpr int K = 40, M = 8, kSteps = 12;
    SCOPED_TRACE(::testing::Message() << TypeParam::kName << " N=" << N);
    std::vector<std::vector<uint8_t>> zero_columns;
    for (int t = 0; t <= kSteps; ++t) zero_columns.push_back(random_flags(rng, K, 0.6f));
    std::vector<float> W = random_floats(rng, static_cast<size_t>(K) * N, -1.f, 1.f);
    std::vector<float> V = random_floats(rng, static_cast<size_t>(K) * N, -0.1f, 0.1f);
    std::vector<float> W_eager = W, V_eager = V;
    std::vector<uint32_t> pending(K, 0);
    size_t waited = 0;
    for (int t = 0; t < kSteps; ++t) {
      const std::vector<float> X = inputs_with_zero_columns(rng, M, K, zero_columns[t]);
      const std::vector<float> D = random_floats(rng, static_cast<size_t>(M) * N, -0.1f, 0.1f);
      std::vector<uint8_t> needed(K);
      for (int k = 0; k < K; ++k) needed[k] = !zero_columns[t + 1][k];  // at least what the next step reads
      const bool last = t + 1 == kSteps;
      const DeferredSteps deferred{pending.data(), last ? nullptr : needed.data()};
      ASSERT_TRUE(TypeParam::gemm_momentum_step(K, M, N, X.data(), D.data(), W.data(), V.data(), 0.2f, 0.9f, &deferred));
      ASSERT_TRUE(TypeParam::gemm_momentum_step(K, M, N, X.data(), D.data(), W_eager.data(), V_eager.data(), 0.2f, 0.9f));
      for (uint32_t p : pending) waited += p > 0;
    }
    EXPECT_GT(waited, 0u) << "some rows must have waited, or this tests nothing";
    for (uint32_t p : pending) ASSERT_EQ(p, 0u) << "a step without `needed` brings every row up to date";
    for (size_t i = 0; i < W.size(); ++i) {
      ASSERT_NEAR(V[i], V_eager[i], 1e-5 * (1 + std::fabs(V_eager[i]))) << i;
      ASSERT_NEAR(W[i], W_eager[i], 1e-5 * (1 + std::fabs(W_eager[i]))) << i;
    }
  }
}

TEST(Kernels, DeferredStepCoefficientsSumTheSkippedSteps) {
  // p zero-gradient steps one by one, in double, against the closed form (a catch-up of p−1 steps, then a
  // step with gradient 0), for momentum 0, 0.9 and 1.
  for (float momentum : {0.f, 0.5f, 0.9f, 1.f}) {
    for (uint32_t p : {1u, 2u, 7u, 200u}) {
      double v = 0.37, w = -1.2;
      for (uint32_t s = 0; s < p; ++s) {
        v = momentum * v;
        w -= 0.05 * v;
      }
      float decay, catch_up;
      deferred_step_coefficients(p - 1, 0.05f, momentum, &decay, &catch_up);
      const double v_closed = decay * 0.37, w_closed = -1.2 - catch_up * 0.37 - 0.05 * v_closed;
      EXPECT_NEAR(v_closed, v, 1e-6) << "momentum " << momentum << " p " << p;
      EXPECT_NEAR(w_closed, w, 1e-5) << "momentum " << momentum << " p " << p;
    }
  }
  float decay, catch_up;
  deferred_step_coefficients(0, 0.05f, 0.9f, &decay, &catch_up);
  EXPECT_EQ(decay, 0.9f);
  EXPECT_EQ(catch_up, 0.f);
}

TYPED_TEST(FastKernels, MomentumStepReportsANonFiniteWeight) {
  Rng rng(5);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // One bad element, in the vector body or the scalar tail, is enough to report.
  for (size_t n : {size_t{1}, size_t{3}, size_t{8}, size_t{1003}}) {
    for (size_t at : {size_t{0}, n / 2, n - 1}) {
      for (int kind = 0; kind < 5; ++kind) {
        SCOPED_TRACE(::testing::Message() << TypeParam::kName << " n=" << n << " at=" << at << " kind=" << kind);
        std::vector<float> w = random_floats(rng, n, -1.f, 1.f);
        std::vector<float> v(n, 0.f);
        std::vector<float> g = random_floats(rng, n, -1.f, 1.f);
        float lr = 0.1f;
        switch (kind) {
          case 0: g[at] = inf; break;                // infinite gradient
          case 1: g[at] = nan; break;                // NaN gradient
          case 2: w[at] = nan; break;                // already-NaN weight
          case 3: v[at] = -inf; break;               // broken velocity
          case 4: g[at] = 3e38f; lr = 10.f; break;   // finite inputs whose update overflows
        }
        std::vector<float> w_ref = w, v_ref = v;
        EXPECT_FALSE(f32_momentum_step_reference(n, w_ref.data(), v_ref.data(), g.data(), lr, 0.9f));
        EXPECT_FALSE(TypeParam::momentum_step(n, w.data(), v.data(), g.data(), lr, 0.9f));
        EXPECT_FALSE(std::isfinite(w[at]));
        for (size_t i = 0; i < n; ++i) ASSERT_TRUE(same_float(w[i], w_ref[i])) << i;
      }
    }
  }
}

TEST(Kernels, TransposeMovesEveryElement) {
  Rng rng(6);
  for (int R : {1, 3, 7, 17, 64}) {
    for (int C : {1, 3, 7, 17, 64}) {
      const std::vector<float> S = random_floats(rng, static_cast<size_t>(R) * C, -1.f, 1.f);
      std::vector<float> T(static_cast<size_t>(R) * C + kGuardCount, kGuard);
      f32_transpose(R, C, S.data(), T.data());
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
          ASSERT_EQ(T[static_cast<size_t>(c) * R + r], S[static_cast<size_t>(r) * C + c]) << R << "x" << C;
      for (int i = 0; i < kGuardCount; ++i) ASSERT_EQ(T[static_cast<size_t>(R) * C + i], kGuard);
      std::vector<float> back(S.size());
      f32_transpose(C, R, T.data(), back.data());
      EXPECT_EQ(back, S);
    }
  }
}

TEST(Kernels, SparseRowPanelGathersNonZerosInOrder) {
  const int K = 5;
  const std::vector<float> A = {0, 1, 0, 2, 0,   // row 0
                                0, 0, 0, 0, 0,   // row 1: all zero
                                3, 0, 0, 0, 4};  // row 2
  SparseRowPanel panel;
  const int N = 7;  // the row length of the B these entries select rows of
  panel.gather(A.data(), K, N, 0, 3);
  ASSERT_EQ(panel.row_size(0), 2);
  EXPECT_EQ(panel.row(0)[0].offset, 1 * N);
  EXPECT_EQ(panel.row(0)[1].value, 2.f);
  EXPECT_EQ(panel.row_size(1), 0);
  ASSERT_EQ(panel.row_size(2), 2);
  EXPECT_EQ(panel.row(2)[0].offset, 0);
  EXPECT_EQ(panel.row(2)[1].offset, 4 * N);
  // A later gather of fewer rows starting elsewhere sees only those rows.
  panel.gather(A.data(), K, N, 2, 1);
  ASSERT_EQ(panel.row_size(0), 2);
  EXPECT_EQ(panel.row(0)[1].value, 4.f);
}

// The gather skips fours of zeros whole in the SIMD build: every kind of four, and a ragged end, against a plain list.
TEST(Kernels, SparseRowPanelKeepsEveryNonZeroWhateverFourItLiesIn) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> row = {0, 0, 0, 0,  1, 0, 0, 0,  0, 0, 0, -2,  0, -0.f, 0, 0,  3, 4, 5, 6,
                                  -0.f, 7, 0, nan,  0, 0, 0, 0,  0, 0, 0, 0,  8, 0, 9};  // K = 35: a ragged end
  const int K = static_cast<int>(row.size()), N = 13;
  std::vector<std::pair<int, float>> expected;
  for (int k = 0; k < K; ++k)
    if (row[k] != 0.f) expected.emplace_back(k * N, row[k]);
  for (int K_used : {K, 32, 33, 3}) {
    SparseRowPanel panel;
    panel.gather(row.data(), K_used, N, 0, 1);
    std::vector<std::pair<int, float>> kept;
    for (int i = 0; i < panel.row_size(0); ++i) kept.emplace_back(panel.row(0)[i].offset, panel.row(0)[i].value);
    std::vector<std::pair<int, float>> want;
    for (const auto& e : expected)
      if (e.first < K_used * N) want.push_back(e);
    ASSERT_EQ(kept.size(), want.size()) << "K = " << K_used;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(kept[i].first, want[i].first) << "K = " << K_used << ", entry " << i;
      if (std::isnan(want[i].second))
        EXPECT_TRUE(std::isnan(kept[i].second));
      else
        EXPECT_EQ(kept[i].second, want[i].second);
    }
  }
}

TEST(Kernels, UnsuffixedNamesUseTheBackendThisBuildReports) {
#if defined(__wasm_simd128__)
  EXPECT_STREQ(kernel_backend(), "wasm-simd128");
#else
  EXPECT_STREQ(kernel_backend(), "scalar");
#endif
  Rng rng(7);
  const int M = 9, K = 17, N = 33;
  const std::vector<float> A = make_a(rng, M, K, Fill::kIntegers);
  const std::vector<float> B = make_values(rng, static_cast<size_t>(K) * N, true, 4);
  const std::vector<float> bias = make_values(rng, N, true, 8);
  std::vector<float> expected(static_cast<size_t>(M) * N), C(expected.size());
  f32_gemm_reference(M, K, N, A.data(), B.data(), bias.data(), expected.data());
  f32_gemm(M, K, N, A.data(), B.data(), bias.data(), C.data());
  EXPECT_EQ(C, expected);
  std::vector<float> sums_expected(N), sums(N);
  f32_column_sums_reference(M, N, B.data(), sums_expected.data());
  f32_column_sums(M, N, B.data(), sums.data());
  EXPECT_EQ(sums, sums_expected);
}

}  // namespace
