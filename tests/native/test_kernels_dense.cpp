// The dense tiles of kernels/f32_gemm_dense_wasmsimd.cpp (wasm SIMD builds) and of their scalar twin
// kernels/f32_gemm_dense_scalar.cpp (every build): exact against the naive reference on small integers over odd
// sizes (tile tails in M, N and K), with and without bias and ReLU, and masked by a ReLU's output (the input
// gradient); and the dispatch of the products and of the input gradient, on both sides of the crossover, to the
// same bits as the sparse kernels (the same sums in the same order).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels.h"
#include "rng.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using scratchnet_test::random_floats;

// Small integers (products and sums exact in float), zero with probability `zero_share`.
std::vector<float> integers(Rng& rng, size_t n, int range, float zero_share) {
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform() < zero_share ? 0.f : static_cast<float>(static_cast<int>(rng.below(2 * range + 1)) - range);
  return v;
}

// Random floats in [lo, hi), each kept with probability `lit` and otherwise zero.
std::vector<float> lit_floats(Rng& rng, size_t n, float lo, float hi, float lit) {
  std::vector<float> v = random_floats(rng, n, lo, hi);
  for (float& x : v)
    if (rng.uniform() >= lit) x = 0.f;
  return v;
}

// A product's shape and its A's share of non-zero entries.
struct Case {
  int M, K, N;
  float lit;
};

// The scalar twin, and the scalar products' dispatch: the same bits as the scalar sparse kernels either side of it.
TEST(DenseKernels, ScalarTilesAreExactOnSmallIntegersOverOddSizes) {
  Rng rng(76);
  for (int M : {1, 2, 3, 5, 17}) {
    for (int K : {1, 3, 10, 17}) {
      for (int N : {1, 3, 4, 5, 9, 33}) {
        for (int mode = 0; mode < 3; ++mode) {  // plain with a bias, ReLU with a bias, the ReLU mask
          SCOPED_TRACE(::testing::Message() << "M=" << M << " K=" << K << " N=" << N << " mode=" << mode);
          const std::vector<float> A = integers(rng, static_cast<size_t>(M) * K, 3, 0.1f);
          const std::vector<float> B = integers(rng, static_cast<size_t>(K) * N, 4, 0.f);
          const std::vector<float> bias = integers(rng, N, 8, 0.f);
          const std::vector<float> relu_output = integers(rng, static_cast<size_t>(M) * N, 2, 0.3f);
          std::vector<float> expected(static_cast<size_t>(M) * N), C(expected.size() + 4, std::nanf(""));
          C[expected.size()] = 12345.f;
          if (mode == 0) f32_gemm_reference(M, K, N, A.data(), B.data(), bias.data(), expected.data());
          if (mode == 1) f32_gemm_relu_reference(M, K, N, A.data(), B.data(), bias.data(), expected.data());
          if (mode == 2) f32_gemm_relu_backward_reference(M, K, N, A.data(), B.data(), relu_output.data(), expected.data());
          f32_gemm_dense_scalar(M, K, N, A.data(), B.data(), mode < 2 ? bias.data() : nullptr, C.data(), mode == 1,
                                mode == 2 ? relu_output.data() : nullptr);
          ASSERT_EQ(C[expected.size()], 12345.f) << "wrote past the end of C";
          for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(C[i], expected[i]) << "element " << i;
        }
      }
    }
  }
}

TEST(DenseKernels, TheScalarDispatchGivesTheSparseKernelsBitsOnBothSidesOfTheCrossover) {
  Rng rng(75);
  for (float lit : {0.5f, 0.95f}) {
    const int M = 33, K = 100, N = 70;
    SCOPED_TRACE(::testing::Message() << "lit=" << lit);
    const std::vector<float> A = lit_floats(rng, static_cast<size_t>(M) * K, -1.f, 1.f, lit);
    const std::vector<float> B = random_floats(rng, static_cast<size_t>(K) * N, -0.1f, 0.1f);
    const std::vector<float> bias = random_floats(rng, N, -0.5f, 0.5f);
    std::vector<float> relu_output = random_floats(rng, static_cast<size_t>(M) * N, -1.f, 1.f);
    for (float& h : relu_output) h = h > 0.f ? h : 0.f;
    // Each element summed in float from its start over the non-zero terms in order, as both paths sum.
    std::vector<float> plain(static_cast<size_t>(M) * N), masked(plain.size());
    for (int m = 0; m < M; ++m)
      for (int n = 0; n < N; ++n) {
        float with_bias = bias[n], without = 0.f;
        for (int k = 0; k < K; ++k) {
          const float a = A[static_cast<size_t>(m) * K + k];
          if (a == 0.f) continue;
          with_bias += a * B[static_cast<size_t>(k) * N + n];
          without += a * B[static_cast<size_t>(k) * N + n];
        }
        plain[static_cast<size_t>(m) * N + n] = with_bias;
        masked[static_cast<size_t>(m) * N + n] = relu_output[static_cast<size_t>(m) * N + n] > 0.f ? without : 0.f;
      }
    std::vector<float> C(plain.size()), R(plain.size()), G(plain.size());
    f32_gemm_scalar(M, K, N, A.data(), B.data(), bias.data(), C.data());
    f32_gemm_relu_scalar(M, K, N, A.data(), B.data(), bias.data(), R.data());
    f32_gemm_relu_backward_scalar(M, K, N, A.data(), B.data(), relu_output.data(), G.data());
    for (size_t i = 0; i < plain.size(); ++i) {
      ASSERT_EQ(C[i], plain[i]) << i;
      ASSERT_EQ(R[i], plain[i] > 0.f ? plain[i] : 0.f) << i;
      ASSERT_EQ(G[i], masked[i]) << i;
    }
  }
}

#if defined(__wasm_simd128__)
TEST(DenseKernels, TilesAreExactOnSmallIntegersOverOddSizes) {
  Rng rng(77);
  int checked = 0;
  for (int M : {1, 2, 3, 4, 5, 7, 17, 64}) {
    for (int K : {1, 3, 7, 17, 784}) {
      for (int N : {1, 3, 4, 5, 7, 8, 9, 12, 13, 17, 20, 31, 33, 47, 2048}) {
        if (static_cast<long>(M) * K * N > 3000000) continue;
        for (bool relu : {false, true}) {
          for (bool with_bias : {false, true}) {
            SCOPED_TRACE(::testing::Message() << "M=" << M << " K=" << K << " N=" << N << " relu=" << relu << " bias=" << with_bias);
            const std::vector<float> A = integers(rng, static_cast<size_t>(M) * K, 3, 0.1f);
            const std::vector<float> B = integers(rng, static_cast<size_t>(K) * N, 4, 0.f);
            const std::vector<float> bias = integers(rng, N, 8, 0.f);
            const float* b = with_bias ? bias.data() : nullptr;
            std::vector<float> expected(static_cast<size_t>(M) * N);
            if (relu)
              f32_gemm_relu_reference(M, K, N, A.data(), B.data(), b, expected.data());
            else
              f32_gemm_reference(M, K, N, A.data(), B.data(), b, expected.data());
            // NaN-filled, with a guard after: an element not written, or one written past the end, shows.
            std::vector<float> C(expected.size() + 4, std::numeric_limits<float>::quiet_NaN());
            C[expected.size()] = 12345.f;
            f32_gemm_dense_wasmsimd(M, K, N, A.data(), B.data(), b, C.data(), relu);
            ASSERT_EQ(C[expected.size()], 12345.f) << "wrote past the end of C";
            for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(C[i], expected[i]) << "element " << i;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(DenseKernels, MaskedTilesAreExactOnSmallIntegersOverOddSizes) {
  Rng rng(79);
  for (int M : {1, 3, 4, 5, 17, 64}) {
    for (int K : {1, 3, 10, 17}) {
      for (int N : {1, 3, 4, 7, 8, 9, 13, 20, 31, 33, 47, 2048}) {
        SCOPED_TRACE(::testing::Message() << "M=" << M << " K=" << K << " N=" << N);
        const std::vector<float> A = integers(rng, static_cast<size_t>(M) * K, 3, 0.1f);
        const std::vector<float> B = integers(rng, static_cast<size_t>(K) * N, 4, 0.f);
        const std::vector<float> relu_output = integers(rng, static_cast<size_t>(M) * N, 2, 0.3f);  // ≤ 0 on about half
        std::vector<float> expected(static_cast<size_t>(M) * N);
        f32_gemm_relu_backward_reference(M, K, N, A.data(), B.data(), relu_output.data(), expected.data());
        std::vector<float> C(expected.size() + 4, std::numeric_limits<float>::quiet_NaN());
        C[expected.size()] = 12345.f;
        f32_gemm_dense_wasmsimd(M, K, N, A.data(), B.data(), nullptr, C.data(), false, relu_output.data());
        ASSERT_EQ(C[expected.size()], 12345.f) << "wrote past the end of C";
        for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(C[i], expected[i]) << "element " << i;
      }
    }
  }
}

// The default network's first layer at batch 64, its inputs 50% and 90% lit (either side of the crossover), and a
// hidden layer's shape: f32_gemm_wasmsimd and its ReLU twin give the sparse kernels' bits, whichever path it takes.
TEST(DenseKernels, TheDispatchGivesTheSparseKernelsBitsOnBothSidesOfTheCrossover) {
  Rng rng(78);
  for (const Case c : {Case{64, 784, 2048, 0.5f}, Case{64, 784, 2048, 0.9f}, Case{33, 100, 70, 1.f}, Case{5, 17, 13, 0.95f}}) {
    SCOPED_TRACE(::testing::Message() << "M=" << c.M << " K=" << c.K << " N=" << c.N << " lit=" << c.lit);
    const std::vector<float> A = lit_floats(rng, static_cast<size_t>(c.M) * c.K, 0.f, 1.f, c.lit);
    const std::vector<float> B = random_floats(rng, static_cast<size_t>(c.K) * c.N, -0.1f, 0.1f);
    const std::vector<float> bias = random_floats(rng, c.N, -0.5f, 0.5f);
    std::vector<float> sparse(static_cast<size_t>(c.M) * c.N), dispatched(sparse.size()), relu(sparse.size());
    f32_gemm_sparse_wasmsimd(c.M, c.K, c.N, A.data(), B.data(), bias.data(), sparse.data());
    f32_gemm_wasmsimd(c.M, c.K, c.N, A.data(), B.data(), bias.data(), dispatched.data());
    f32_gemm_relu_wasmsimd(c.M, c.K, c.N, A.data(), B.data(), bias.data(), relu.data());
    for (size_t i = 0; i < sparse.size(); ++i) {
      ASSERT_EQ(dispatched[i], sparse[i]) << i;
      ASSERT_EQ(relu[i], sparse[i] > 0.f ? sparse[i] : 0.f) << i;
    }
  }
}

// The input gradient through a ReLU (the output layer's gradient is dense; a hidden layer's is about half zero):
// whichever path it takes, the bits of a plain float sum in order.
TEST(DenseKernels, TheInputGradientsDispatchGivesTheSparseKernelsBits) {
  Rng rng(80);
  for (const Case c : {Case{64, 10, 2048, 1.f}, Case{64, 10, 2048, 0.5f}, Case{17, 26, 37, 0.9f}, Case{64, 512, 784, 0.95f}}) {
    SCOPED_TRACE(::testing::Message() << "M=" << c.M << " K=" << c.K << " N=" << c.N << " lit=" << c.lit);
    const std::vector<float> A = lit_floats(rng, static_cast<size_t>(c.M) * c.K, -1.f, 1.f, c.lit);
    const std::vector<float> B = random_floats(rng, static_cast<size_t>(c.K) * c.N, -0.1f, 0.1f);
    std::vector<float> relu_output = random_floats(rng, static_cast<size_t>(c.M) * c.N, -1.f, 1.f);
    for (float& h : relu_output) h = h > 0.f ? h : 0.f;
    // Each element summed in float from 0 over k in order, as both paths sum (the reference sums in double).
    std::vector<float> reference(static_cast<size_t>(c.M) * c.N), dispatched(reference.size());
    for (int m = 0; m < c.M; ++m)
      for (int n = 0; n < c.N; ++n) {
        float sum = 0.f;
        for (int k = 0; k < c.K; ++k) sum += A[static_cast<size_t>(m) * c.K + k] * B[static_cast<size_t>(k) * c.N + n];
        reference[static_cast<size_t>(m) * c.N + n] = relu_output[static_cast<size_t>(m) * c.N + n] > 0.f ? sum : 0.f;
      }
    f32_gemm_relu_backward_wasmsimd(c.M, c.K, c.N, A.data(), B.data(), relu_output.data(), dispatched.data());
    for (size_t i = 0; i < reference.size(); ++i) ASSERT_EQ(dispatched[i], reference[i]) << i;
  }
}

#endif  // __wasm_simd128__

}  // namespace
