// Optimizers and the training options around them: the Adam / AdamW fused weight steps against the naive
// reference and against values worked out by hand, SGD's weight decay, the learning-rate schedules, deferred
// SGD steps under a rate that changes every step, dropout, input scaling, and the model file that carries the
// scaling and the optimizer's state. Every suite here starts with "Optimizer" (filter: '*Optim*').
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dense_layer.h"
#include "input_scaling.h"
#include "kernels.h"
#include "model_file.h"
#include "network.h"
#include "optimizer.h"
#include "trainer.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

// ---------------------------------------------------------------------------------------------------------------
// The kernel flavours this build compiles, as in test_kernels.cpp: *_scalar always, *_wasmsimd under -msimd128.

struct ScalarFlavour {
  static constexpr const char* kName = "scalar";
  // Its fused step and forward sums the forward as the plain one does: the same bits.
  static constexpr bool kFusedForwardToTheBit = true;
  static void gemm(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_scalar(M, K, N, A, B, bias, C);
  }
  static void gemm_relu(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_relu_scalar(M, K, N, A, B, bias, C);
  }
  static bool momentum_step(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
    return f32_momentum_step_scalar(n, w, v, g, lr, momentum);
  }
  static bool gemm_momentum_step(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                 float momentum, float weight_decay) {
    return f32_gemm_momentum_step_scalar(K, M, N, X, D, W, V, lr, momentum, nullptr, weight_decay);
  }
  static bool gemm_momentum_step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W,
                                                   float* V, float lr, float momentum, int Mn, const float* Xn,
                                                   const float* bias, float* Y, float weight_decay) {
    return f32_gemm_momentum_step_then_forward_relu_scalar(K, M, N, X, D, W, V, lr, momentum, nullptr, Mn, Xn, bias,
                                                           Y, weight_decay);
  }
  static bool adam_step(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule) {
    return f32_adam_step_scalar(n, w, m, v, g, rule);
  }
  static bool gemm_adam_step(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                             const AdamRule& rule, const DeferredSteps* deferred = nullptr) {
    return f32_gemm_adam_step_scalar(K, M, N, X, D, W, M1, M2, rule, deferred);
  }
  static bool gemm_adam_step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W,
                                               float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                               const float* bias, float* Y) {
    return f32_gemm_adam_step_then_forward_relu_scalar(K, M, N, X, D, W, M1, M2, rule, Mn, Xn, bias, Y);
  }
};

#if defined(__wasm_simd128__)
struct WasmSimdFlavour {
  static constexpr const char* kName = "wasmsimd";
  // Its fused step and forward sums the forward in two runs of W's rows: the plain one's sums to rounding.
  static constexpr bool kFusedForwardToTheBit = false;
  static void gemm(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_wasmsimd(M, K, N, A, B, bias, C);
  }
  static void gemm_relu(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
    f32_gemm_relu_wasmsimd(M, K, N, A, B, bias, C);
  }
  static bool momentum_step(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
    return f32_momentum_step_wasmsimd(n, w, v, g, lr, momentum);
  }
  static bool gemm_momentum_step(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                 float momentum, float weight_decay) {
    return f32_gemm_momentum_step_wasmsimd(K, M, N, X, D, W, V, lr, momentum, nullptr, weight_decay);
  }
  static bool gemm_momentum_step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W,
                                                   float* V, float lr, float momentum, int Mn, const float* Xn,
                                                   const float* bias, float* Y, float weight_decay) {
    return f32_gemm_momentum_step_then_forward_relu_wasmsimd(K, M, N, X, D, W, V, lr, momentum, nullptr, Mn, Xn, bias,
                                                             Y, weight_decay);
  }
  static bool adam_step(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule) {
    return f32_adam_step_wasmsimd(n, w, m, v, g, rule);
  }
  static bool gemm_adam_step(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                             const AdamRule& rule, const DeferredSteps* deferred = nullptr) {
    return f32_gemm_adam_step_wasmsimd(K, M, N, X, D, W, M1, M2, rule, deferred);
  }
  static bool gemm_adam_step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W,
                                               float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                               const float* bias, float* Y) {
    return f32_gemm_adam_step_then_forward_relu_wasmsimd(K, M, N, X, D, W, M1, M2, rule, Mn, Xn, bias, Y);
  }
};
using Flavours = ::testing::Types<ScalarFlavour, WasmSimdFlavour>;
#else
using Flavours = ::testing::Types<ScalarFlavour>;
#endif

struct FlavourName {
  template <typename T>
  static std::string GetName(int) { return T::kName; }
};

template <typename T>
class OptimizerKernels : public ::testing::Test {};
TYPED_TEST_SUITE(OptimizerKernels, Flavours, FlavourName);

// Index of the first element where a and b differ in their bits, or -1.
long first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<long>(i);
  return -1;
}

// X[M×K] like a batch of images: whole columns (inputs) zero in every sample where zero_column is set, the other
// entries 70% zero and otherwise pixel/256 for a pixel in 1..255. With D a multiple of 1/1024 below 0.1, every
// product is an integer of at most 255·100 times 2^-18, and any sum of 600 of them stays below 2^24 such units:
// exact in float. The gradient Xᵀ·D is then the same in every flavour and in the double reference, and what
// differs is only the optimizer's own arithmetic.
std::vector<float> pixel_inputs(Rng& rng, int M, int K, float zero_column_share) {
  std::vector<uint8_t> zero_column(K);
  for (auto& z : zero_column) z = rng.uniform() < zero_column_share;
  std::vector<float> X(static_cast<size_t>(M) * K, 0.f);
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k)
      if (!zero_column[k] && rng.uniform() >= 0.7f)
        X[static_cast<size_t>(m) * K + k] = static_cast<float>(1 + rng.below(255)) / 256.f;
  return X;
}

std::vector<float> exact_output_gradient(Rng& rng, int M, int N) {
  std::vector<float> D(static_cast<size_t>(M) * N);
  for (float& d : D) d = static_cast<float>(static_cast<int>(rng.below(201)) - 100) / 1024.f;
  return D;
}

std::vector<float> transposed(int M, int K, const std::vector<float>& X) {
  std::vector<float> T(X.size());
  f32_transpose(M, K, X.data(), T.data());
  return T;
}

struct Shape {
  int K, M, N, Mn;  // W is K×N, the batch M samples, the next batch (for the fused forward) Mn
};
// Odd shapes around the kernels' block widths, one with more inputs than a slab of the step's planned rows
// (130 rows × 600 samples), and the default network's first layer on a batch of 64.
const Shape kShapes[] = {{7, 3, 5, 3}, {33, 17, 70, 5}, {130, 600, 37, 1}, {1, 1, 1, 1}, {784, 64, 2048, 64}};

// 1. The fused Adam / AdamW step against the reference, over steps t = 1, 2, 3 (the moments carry over and the
// bias corrections change), weight decay 0 and > 0; against the flavour's own unfused pair (gemm, then
// f32_adam_step) to the bit; and the step-then-forward variant against the step followed by f32_gemm_relu.
TYPED_TEST(OptimizerKernels, AdamFusedStepMatchesReferenceOverThreeSteps) {
  Rng rng(101);
  struct Decay {
    float weight_decay;
    bool decoupled;
  };
  for (const Shape shape : kShapes) {
    const int K = shape.K, M = shape.M, N = shape.N, Mn = shape.Mn;
    for (const Decay decay : {Decay{0.f, false}, Decay{0.05f, false}, Decay{0.05f, true}}) {
      SCOPED_TRACE(::testing::Message() << TypeParam::kName << " K=" << K << " M=" << M << " N=" << N << " "
                                        << (decay.decoupled ? "AdamW" : "Adam") << " decay " << decay.weight_decay);
      const size_t size = static_cast<size_t>(K) * N;
      std::vector<float> W = random_floats(rng, size, -1.f, 1.f), M1(size, 0.f), M2(size, 0.f);
      std::vector<float> W_ref = W, M1_ref = M1, M2_ref = M2;
      const std::vector<float> W_start = W;
      // Per element, the moments' sums of the sizes of their terms: a moment that nearly cancels keeps the
      // rounding of its terms, this step's and those carried over from the steps before.
      std::vector<double> m_scale(size, 0.0), v_scale(size, 0.0);
      const std::vector<float> bias = random_floats(rng, N, -0.5f, 0.5f);
      for (uint32_t t = 1; t <= 3; ++t) {
        SCOPED_TRACE(::testing::Message() << "t=" << t);
        const AdamRule rule{0.01f, 0.9f, 0.999f, 1e-8f, decay.weight_decay, decay.decoupled, t};
        const std::vector<float> X = pixel_inputs(rng, M, K, 0.3f), Xn = pixel_inputs(rng, Mn, K, 0.3f);
        const std::vector<float> D = exact_output_gradient(rng, M, N);
        const std::vector<float> W_before = W;
        std::vector<float> G(size);
        TypeParam::gemm(K, M, N, transposed(M, K, X).data(), D.data(), nullptr, G.data());

        // The unfused pair of this flavour, and the fused step then the next batch's forward.
        std::vector<float> W_pair = W, M1_pair = M1, M2_pair = M2;
        ASSERT_TRUE(TypeParam::adam_step(size, W_pair.data(), M1_pair.data(), M2_pair.data(), G.data(), rule));
        std::vector<float> W_then = W, M1_then = M1, M2_then = M2, Y_then(static_cast<size_t>(Mn) * N, -1.f);
        ASSERT_TRUE(TypeParam::gemm_adam_step_then_forward_relu(K, M, N, X.data(), D.data(), W_then.data(),
                                                                M1_then.data(), M2_then.data(), rule, Mn, Xn.data(),
                                                                bias.data(), Y_then.data()));
        ASSERT_TRUE(TypeParam::gemm_adam_step(K, M, N, X.data(), D.data(), W.data(), M1.data(), M2.data(), rule));
        ASSERT_TRUE(f32_gemm_adam_step_reference(K, M, N, X.data(), D.data(), W_ref.data(), M1_ref.data(),
                                                 M2_ref.data(), rule));
        std::vector<float> Y(Y_then.size(), -2.f);
        TypeParam::gemm_relu(Mn, K, N, Xn.data(), W.data(), bias.data(), Y.data());

        EXPECT_EQ(first_difference(W, W_pair), -1) << "fused step vs gemm + adam_step: weights";
        EXPECT_EQ(first_difference(M1, M1_pair), -1) << "first moments";
        EXPECT_EQ(first_difference(M2, M2_pair), -1) << "second moments";
        EXPECT_EQ(first_difference(W_then, W), -1) << "step-then-forward vs the step: weights";
        EXPECT_EQ(first_difference(M1_then, M1), -1) << "step-then-forward: first moments";
        EXPECT_EQ(first_difference(M2_then, M2), -1) << "step-then-forward: second moments";
        EXPECT_EQ(first_beyond_rounding(Y_then, Y, Mn, K, N, Xn.data(), W.data(), bias.data()), -1)
            << "step-then-forward vs the step then gemm_relu: outputs (summed in two runs of rows)";
        if (TypeParam::kFusedForwardToTheBit) EXPECT_EQ(first_difference(Y_then, Y), -1) << "outputs to the bit";

        // Relative 1e-5 of each quantity's scale: the moments' sums of the sizes of their terms, a weight's own
        // size or the step's, lr.
        for (size_t i = 0; i < size; ++i) {
          const double g = std::fabs(G[i]) + decay.weight_decay * std::fabs(W_before[i]);
          m_scale[i] = rule.beta1 * m_scale[i] + (1 - rule.beta1) * g;
          v_scale[i] = rule.beta2 * v_scale[i] + (1 - rule.beta2) * g * g;
          ASSERT_NEAR(M1[i], M1_ref[i], 1e-5 * m_scale[i]) << "m " << i;
          ASSERT_NEAR(M2[i], M2_ref[i], 1e-5 * v_scale[i]) << "v " << i;
          ASSERT_NEAR(W[i], W_ref[i], 1e-5 * (std::fabs(W_ref[i]) + rule.lr)) << "w " << i;
        }
      }
      // The weights moved by about lr a step (every row, its input zero or not, once it has a moment).
      double moved = 0;
      for (size_t i = 0; i < size; ++i) moved = std::max(moved, std::fabs(static_cast<double>(W[i]) - W_start[i]));
      if (K > 1) {
        EXPECT_GT(moved, 0.02);
      }
    }
  }
}

// 1b. The fused Adam step with deferred rows (kernels.h: Adam's deferred steps) against the reference: rows whose
// input is zero and which the next batch does not read wait and count; rows that owe steps catch them up from the
// tables, then step. Over three steps, with some rows owing steps from the start.
TYPED_TEST(OptimizerKernels, AdamDeferredRowsWaitAndCatchUpAsTheReferenceDoes) {
  Rng rng(111);
  std::array<float, kMaxPendingSteps + 1> shrink{}, owed{}, first_decay{}, second_decay{};
  for (size_t p = 0; p <= kMaxPendingSteps; ++p) {
    shrink[p] = 1.f - 0.001f * p;
    owed[p] = 0.003f * p;
    first_decay[p] = static_cast<float>(std::pow(0.9, p + 1.0));
    second_decay[p] = static_cast<float>(std::pow(0.999, p + 1.0));
  }
  for (const Shape shape : kShapes) {
    const int K = shape.K, M = shape.M, N = shape.N;
    SCOPED_TRACE(::testing::Message() << TypeParam::kName << " K=" << K << " M=" << M << " N=" << N);
    const size_t size = static_cast<size_t>(K) * N;
    std::vector<float> W = random_floats(rng, size, -1.f, 1.f), M1 = random_floats(rng, size, -0.01f, 0.01f),
                       M2 = random_floats(rng, size, 1e-6f, 1e-4f);
    std::vector<float> W_ref = W, M1_ref = M1, M2_ref = M2;
    std::vector<uint32_t> pending(K), pending_ref;
    for (uint32_t& p : pending) p = rng.below(4);
    pending_ref = pending;
    int waited = 0, caught_up = 0;
    for (uint32_t t = 1; t <= 3; ++t) {
      const AdamRule rule{0.01f, 0.9f, 0.999f, 1e-8f, 0.02f, true, t + 5};
      const std::vector<float> X = pixel_inputs(rng, M, K, 0.4f);
      const std::vector<float> D = exact_output_gradient(rng, M, N);
      std::vector<uint8_t> needed(K);
      for (auto& n : needed) n = rng.uniform() < 0.5f;
      for (int k = 0; k < K; ++k) caught_up += pending[k] > 0;
      DeferredSteps deferred{pending.data(), needed.data(), shrink.data(), owed.data(), first_decay.data(),
                             second_decay.data()};
      DeferredSteps deferred_ref = deferred;
      deferred_ref.pending = pending_ref.data();
      ASSERT_TRUE(TypeParam::gemm_adam_step(K, M, N, X.data(), D.data(), W.data(), M1.data(), M2.data(), rule, &deferred));
      ASSERT_TRUE(f32_gemm_adam_step_reference(K, M, N, X.data(), D.data(), W_ref.data(), M1_ref.data(), M2_ref.data(),
                                               rule, &deferred_ref));
      ASSERT_EQ(pending, pending_ref) << "t=" << t;
      for (uint32_t p : pending) waited += p > 0;
      for (size_t i = 0; i < size; ++i) {
        ASSERT_NEAR(M1[i], M1_ref[i], 1e-5 * (std::fabs(M1_ref[i]) + 1e-3)) << "m " << i << " t=" << t;
        ASSERT_NEAR(M2[i], M2_ref[i], 1e-5 * (std::fabs(M2_ref[i]) + 1e-7)) << "v " << i << " t=" << t;
        ASSERT_NEAR(W[i], W_ref[i], 1e-5 * (std::fabs(W_ref[i]) + rule.lr)) << "w " << i << " t=" << t;
      }
    }
    if (K > 7) {
      EXPECT_GT(waited, 0) << "no row waited";
      EXPECT_GT(caught_up, 0) << "no row caught up";
    }
  }
}

// 2. Adam's first two steps on one parameter, worked out by hand (β1 0.9, β2 0.999, ε 1e-8, lr 0.1, w 1):
//   step 1, g = 0.5:   m = 0.1·0.5 = 0.05;  v = 0.001·0.25 = 0.00025;  m̂ = 0.05/(1−0.9) = 0.5, v̂ = 0.00025/(1−0.999)
//                      = 0.25, √v̂ = 0.5: w = 1 − 0.1·0.5/(0.5 + 1e-8) ≈ 0.9 (+2e-9).
//   step 2, g = −0.25: m = 0.9·0.05 + 0.1·(−0.25) = 0.02;  v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225;
//                      m̂ = 0.02/(1−0.81) = 0.105263158, v̂ = 0.00031225/(1−0.998001) = 0.156203102,
//                      √v̂ = 0.395225382: w = 0.9 − 0.1·0.266337… = 0.873366299.
// Adam with weight decay 0.1 (an L2 term, g + 0.1·w):
//   step 1: g = 0.6, m = 0.06, v = 0.00036, m̂/√v̂ = 1 again: w ≈ 0.9 (step 1 normalises the decay away);
//   step 2: g = −0.25 + 0.09 = −0.16, m = 0.054 − 0.016 = 0.038, v = 0.00035964 + 0.0000256 = 0.00038524:
//           w = 0.9 − 0.1·(0.2 / 0.438995) = 0.854441367.
// AdamW (decoupled: w·(1 − 0.1·0.1) first, moments of the bare gradient):
//   step 1: w = 0.99 − 0.1 = 0.89;  step 2: w = 0.89·0.99 − 0.1·0.266337 = 0.854466299.
// Held for the reference, this flavour's f32_adam_step and its fused step (K = M = N = 1, x = 1, dy = g).
TYPED_TEST(OptimizerKernels, AdamFirstStepsMatchHandComputedValues) {
  struct Case {
    const char* name;
    float weight_decay;
    bool decoupled;
    float epsilon;
    float w1, m1, v1, w2, m2, v2;  // after step 1 (g = 0.5) and step 2 (g = −0.25)
  };
  const Case cases[] = {
      {"Adam", 0.f, false, 1e-8f, 0.9f, 0.05f, 0.00025f, 0.873366299f, 0.02f, 0.00031225f},
      {"Adam + L2 0.1", 0.1f, false, 1e-8f, 0.9f, 0.06f, 0.00036f, 0.854441367f, 0.038f, 0.00038524f},
      {"AdamW 0.1", 0.1f, true, 1e-8f, 0.89f, 0.05f, 0.00025f, 0.854466299f, 0.02f, 0.00031225f},
      // ε = 0.01 makes its place visible: step 1 is 0.1·0.5/(√v̂ + ε) = 0.1·0.5/0.51 (ε added to √v̂, not √v);
      // step 2: 0.901960784 − 0.1·0.105263158/(0.395225382 + 0.01) = 0.901960784 − 0.025976447 = 0.875984337.
      {"Adam eps 0.01", 0.f, false, 0.01f, 0.901960784f, 0.05f, 0.00025f, 0.875984337f, 0.02f, 0.00031225f},
  };
  for (const Case& c : cases) {
    for (int how = 0; how < 3; ++how) {
      const char* names[] = {"reference", "adam_step", "fused gemm step"};
      SCOPED_TRACE(::testing::Message() << TypeParam::kName << " " << c.name << " via " << names[how]);
      float w = 1.f, m = 0.f, v = 0.f;
      const float gradients[2] = {0.5f, -0.25f};
      for (uint32_t t = 1; t <= 2; ++t) {
        const AdamRule rule{0.1f, 0.9f, 0.999f, c.epsilon, c.weight_decay, c.decoupled, t};
        const float g = gradients[t - 1], x = 1.f;
        bool finite = false;
        if (how == 0) finite = f32_adam_step_reference(1, &w, &m, &v, &g, rule);
        if (how == 1) finite = TypeParam::adam_step(1, &w, &m, &v, &g, rule);
        if (how == 2) finite = TypeParam::gemm_adam_step(1, 1, 1, &x, &g, &w, &m, &v, rule);
        ASSERT_TRUE(finite);
        // The betas are floats: 1 − 0.9f and 1 − 0.999f are 0.100000024 and 0.00099998713, which move m by
        // 2.4e-7 and v by 1.3e-5 of themselves from the decimal values (and w by 1e-9).
        const float w_hand = t == 1 ? c.w1 : c.w2, m_hand = t == 1 ? c.m1 : c.m2, v_hand = t == 1 ? c.v1 : c.v2;
        EXPECT_NEAR(w, w_hand, 2e-7) << "w after step " << t;
        EXPECT_NEAR(m, m_hand, 1e-6 * m_hand) << "m after step " << t;
        EXPECT_NEAR(v, v_hand, 2e-5 * v_hand) << "v after step " << t;
      }
    }
  }
}

// 2b. The two kinds of weight decay part where the gradient is zero: AdamW only shrinks w by (1 − lr·wd) and
// leaves the moments at zero; Adam's L2 term is a gradient wd·w, which its first step normalises to a full
// step of lr (w = 1 − 0.1·0.01/(0.01 + 1e-8) = 0.9000001).
TYPED_TEST(OptimizerKernels, AdamWShrinksWhereAdamsL2TermSteps) {
  for (bool decoupled : {true, false}) {
    SCOPED_TRACE(::testing::Message() << TypeParam::kName << (decoupled ? " AdamW" : " Adam"));
    const AdamRule rule{0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 1};
    std::vector<float> w(5, 1.f), m(5, 0.f), v(5, 0.f), g(5, 0.f);
    ASSERT_TRUE(TypeParam::adam_step(w.size(), w.data(), m.data(), v.data(), g.data(), rule));
    for (size_t i = 0; i < w.size(); ++i) {
      if (decoupled) {
        EXPECT_EQ(w[i], 1.f - 0.1f * 0.01f);
        EXPECT_EQ(m[i], 0.f);
        EXPECT_EQ(v[i], 0.f);
      } else {
        EXPECT_NEAR(w[i], 0.9000001f, 1e-7f);
        EXPECT_NEAR(m[i], 0.001f, 1e-9f);
      }
    }
  }
}

// 3. SGD with weight decay: the fused momentum step with weight_decay equals the reference (which adds wd·w to
// the gradient) up to rounding, and to the bit this flavour's f32_momentum_step on g + wd·w (and its
// step-then-forward variant the step then f32_gemm_relu).
TYPED_TEST(OptimizerKernels, SgdWeightDecayIsAnL2TermOfTheGradient) {
  Rng rng(202);
  for (const Shape shape : kShapes) {
    const int K = shape.K, M = shape.M, N = shape.N, Mn = shape.Mn;
    for (float weight_decay : {0.f, 0.01f, 0.3f}) {
      SCOPED_TRACE(::testing::Message() << TypeParam::kName << " K=" << K << " M=" << M << " N=" << N
                                        << " weight decay " << weight_decay);
      const size_t size = static_cast<size_t>(K) * N;
      std::vector<float> X = random_floats(rng, static_cast<size_t>(M) * K, 0.f, 1.f);
      for (float& x : X)
        if (rng.uniform() < 0.7f) x = 0.f;
      const std::vector<float> Xn = pixel_inputs(rng, Mn, K, 0.3f);
      const std::vector<float> D = random_floats(rng, static_cast<size_t>(M) * N, -0.1f, 0.1f);
      const std::vector<float> bias = random_floats(rng, N, -0.5f, 0.5f);
      const std::vector<float> W0 = random_floats(rng, size, -1.f, 1.f), V0 = random_floats(rng, size, -0.1f, 0.1f);
      const float lr = 0.3f, momentum = 0.9f;

      std::vector<float> W = W0, V = V0;
      ASSERT_TRUE(TypeParam::gemm_momentum_step(K, M, N, X.data(), D.data(), W.data(), V.data(), lr, momentum,
                                                weight_decay));
      // The pair: the gradient, plus wd·w, then the plain momentum step.
      std::vector<float> G(size);
      TypeParam::gemm(K, M, N, transposed(M, K, X).data(), D.data(), nullptr, G.data());
      for (size_t i = 0; i < size; ++i) G[i] += weight_decay * W0[i];
      std::vector<float> W_pair = W0, V_pair = V0;
      ASSERT_TRUE(TypeParam::momentum_step(size, W_pair.data(), V_pair.data(), G.data(), lr, momentum));
      EXPECT_EQ(first_difference(W, W_pair), -1) << "weights";
      EXPECT_EQ(first_difference(V, V_pair), -1) << "velocities";

      std::vector<float> W_ref = W0, V_ref = V0;
      ASSERT_TRUE(f32_gemm_momentum_step_reference(K, M, N, X.data(), D.data(), W_ref.data(), V_ref.data(), lr,
                                                   momentum, nullptr, weight_decay));
      for (size_t i = 0; i < size; ++i) {
        ASSERT_NEAR(V[i], V_ref[i], 1e-6 * (M + 2)) << i;
        ASSERT_NEAR(W[i], W_ref[i], 1e-6 * (M + 2)) << i;
      }

      std::vector<float> W_then = W0, V_then = V0, Y_then(static_cast<size_t>(Mn) * N, -1.f), Y(Y_then.size(), -2.f);
      ASSERT_TRUE(TypeParam::gemm_momentum_step_then_forward_relu(K, M, N, X.data(), D.data(), W_then.data(),
                                                                  V_then.data(), lr, momentum, Mn, Xn.data(),
                                                                  bias.data(), Y_then.data(), weight_decay));
      TypeParam::gemm_relu(Mn, K, N, Xn.data(), W.data(), bias.data(), Y.data());
      EXPECT_EQ(first_difference(W_then, W), -1) << "step-then-forward: weights";
      EXPECT_EQ(first_difference(V_then, V), -1) << "step-then-forward: velocities";
      EXPECT_EQ(first_beyond_rounding(Y_then, Y, Mn, K, N, Xn.data(), W.data(), bias.data()), -1)
          << "step-then-forward: outputs (summed in two runs of rows)";
      if (TypeParam::kFusedForwardToTheBit) EXPECT_EQ(first_difference(Y_then, Y), -1) << "outputs to the bit";
    }
  }
}

// 3b. Through the layer: with a weight decay, no row defers its step even when told the next batch's inputs (a
// row with a zero input still decays), so the layer steps exactly as one never told; and the decay applies to
// the weights, not the bias, under SGD and Adam alike.
TEST(OptimizerLayer, WeightDecayDefersOnlyAsAShrinkAndSparesTheBias) {
  constexpr int kIn = 40, kOut = 12, kBatch = 4;
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    SCOPED_TRACE(optimizer_name(kind));
    Rng rng(303);
    DenseLayer told(kIn, kOut), untold(kIn, kOut), undecayed(kIn, kOut);
    told.init_he(rng);
    untold.weights = undecayed.weights = told.weights;
    const std::vector<uint8_t> nothing_next(kIn, 0);
    std::vector<float> scratch(kIn * kBatch);
    StepRule rule;
    rule.optimizer = kind;
    rule.learning_rate = 0.05f;
    StepRule plain = rule;
    rule.weight_decay = 0.2f;
    for (uint32_t t = 1; t <= 5; ++t) {
      rule.t = plain.t = t;
      std::vector<float> x = random_floats(rng, kIn * kBatch, 0.f, 1.f);
      for (int k = 0; k < kIn / 2; ++k)
        for (int b = 0; b < kBatch; ++b) x[b * kIn + k] = 0.f;  // half the inputs zero: rows that could wait
      const std::vector<float> dy = random_floats(rng, kOut * kBatch, -0.3f, 0.3f);
      ASSERT_TRUE(told.backward_and_step(kBatch, x.data(), dy.data(), nullptr, scratch.data(), rule, false,
                                         nothing_next.data()));
      ASSERT_TRUE(untold.backward_and_step(kBatch, x.data(), dy.data(), nullptr, scratch.data(), rule));
      ASSERT_TRUE(undecayed.backward_and_step(kBatch, x.data(), dy.data(), nullptr, scratch.data(), plain));
      // AdamW's decay is a shrink its waiting rows catch up in closed form; an L2 term gives every row a gradient.
      EXPECT_EQ(told.has_deferred_steps(), kind == OptimizerKind::kAdamW);
    }
    told.catch_up_deferred_steps();
    if (kind == OptimizerKind::kAdamW) {
      for (size_t i = 0; i < told.weights.size(); ++i)
        ASSERT_NEAR(told.weights[i], untold.weights[i], 1e-5 * (1 + std::fabs(untold.weights[i]))) << i;
    } else {
      EXPECT_EQ(told.weights, untold.weights);
    }
    EXPECT_EQ(told.bias, untold.bias);
    EXPECT_EQ(told.bias, undecayed.bias) << "the bias does not decay";
    // A row whose input was always zero moves only by the decay: towards zero under SGD and AdamW (Adam's L2
    // gradient is normalised to steps of lr, which may overshoot zero).
    for (int j = 0; j < kOut; ++j) {
      EXPECT_NE(told.weights[j], undecayed.weights[j]) << j;
      if (kind != OptimizerKind::kAdam) {
        EXPECT_LT(std::fabs(told.weights[j]), std::fabs(undecayed.weights[j])) << j;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Learning-rate schedules (scheduled_rate).

// A constant schedule is the rate at every step, from the first to far beyond any run.
TEST(OptimizerSchedule, ConstantIsTheRateThroughout) {
  const Schedule constant;
  for (uint64_t step : {uint64_t{0}, uint64_t{1}, uint64_t{99}, uint64_t{1} << 40}) EXPECT_EQ(scheduled_rate(constant, 0.25f, step), 0.25f);
}

// Linear warm-up: step s < warmup gives rate·(s + 1)/warmup, from rate/warmup at step 0 to the rate at step
// warmup − 1, rising every step; the schedule takes over after it.
TEST(OptimizerSchedule, WarmUpRisesLinearlyToTheRate) {
  for (ScheduleKind kind : {ScheduleKind::kConstant, ScheduleKind::kCosine, ScheduleKind::kStep}) {
    SCOPED_TRACE(schedule_name(kind));
    Schedule schedule;
    schedule.kind = kind;
    schedule.warmup_batches = 8;
    schedule.total_batches = 100;
    schedule.step_batches = 10;
    EXPECT_FLOAT_EQ(scheduled_rate(schedule, 0.4f, 0), 0.05f);
    EXPECT_FLOAT_EQ(scheduled_rate(schedule, 0.4f, 3), 0.2f);
    EXPECT_FLOAT_EQ(scheduled_rate(schedule, 0.4f, 7), 0.4f);
    for (uint64_t s = 1; s < 8; ++s) {
      EXPECT_NEAR(scheduled_rate(schedule, 0.4f, s) - scheduled_rate(schedule, 0.4f, s - 1), 0.05f, 1e-7) << s;
    }
    EXPECT_FLOAT_EQ(scheduled_rate(schedule, 0.4f, 8), 0.4f) << "the first step after the warm-up";
  }
}

// Cosine after a warm-up of 10 over a run of 110: the rate at the first step after the warm-up, half of it at
// mid-run (step 60), near 0 at the last step and 0 after the run, never rising in between.
TEST(OptimizerSchedule, CosineFallsFromTheRateToZero) {
  Schedule cosine;
  cosine.kind = ScheduleKind::kCosine;
  cosine.warmup_batches = 10;
  cosine.total_batches = 110;
  const float rate = 0.8f;
  EXPECT_FLOAT_EQ(scheduled_rate(cosine, rate, 10), rate);
  EXPECT_NEAR(scheduled_rate(cosine, rate, 60), rate / 2, 1e-6);
  EXPECT_NEAR(scheduled_rate(cosine, rate, 35), rate * 0.5 * (1 + std::cos(M_PI / 4)), 1e-6);  // a quarter in
  EXPECT_LT(scheduled_rate(cosine, rate, 109), rate * 1e-3);
  EXPECT_GT(scheduled_rate(cosine, rate, 109), 0.f);
  EXPECT_EQ(scheduled_rate(cosine, rate, 110), 0.f);
  EXPECT_EQ(scheduled_rate(cosine, rate, 5000), 0.f);
  for (uint64_t s = 11; s < 200; ++s) EXPECT_LE(scheduled_rate(cosine, rate, s), scheduled_rate(cosine, rate, s - 1)) << s;
  // Without a warm-up, it starts at the rate at step 0.
  cosine.warmup_batches = 0;
  EXPECT_FLOAT_EQ(scheduled_rate(cosine, rate, 0), rate);
  EXPECT_NEAR(scheduled_rate(cosine, rate, 55), rate / 2, 1e-6);
}

// Step decay: × gamma every `step_batches` batches after the warm-up.
TEST(OptimizerSchedule, StepMultipliesByGammaEveryNBatches) {
  Schedule step;
  step.kind = ScheduleKind::kStep;
  step.step_batches = 30;
  step.step_gamma = 0.5f;
  EXPECT_EQ(scheduled_rate(step, 0.8f, 0), 0.8f);
  EXPECT_EQ(scheduled_rate(step, 0.8f, 29), 0.8f);
  EXPECT_FLOAT_EQ(scheduled_rate(step, 0.8f, 30), 0.4f);
  EXPECT_FLOAT_EQ(scheduled_rate(step, 0.8f, 59), 0.4f);
  EXPECT_FLOAT_EQ(scheduled_rate(step, 0.8f, 60), 0.2f);
  EXPECT_FLOAT_EQ(scheduled_rate(step, 0.8f, 95), 0.1f);
  step.warmup_batches = 5;  // the decays count from the warm-up's end
  EXPECT_FLOAT_EQ(scheduled_rate(step, 0.8f, 34), 0.8f);
  EXPECT_FLOAT_EQ(scheduled_rate(step, 0.8f, 35), 0.4f);
}

// The trainer takes each batch's rate from the schedule at its step count: a run's last rate is the schedule's
// at step (batches − 1), across calls.
TEST(OptimizerSchedule, TheTrainerFollowsTheSchedule) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(make_quadrant_set(64, 4, 11))).ok());
  NetworkConfig config;
  config.sizes = {16, 8, 4};
  ASSERT_TRUE(trainer.create_model(config).ok());
  TrainOptions options;
  options.batch_size = 16;
  options.learning_rate = 0.5f;
  options.schedule.kind = ScheduleKind::kStep;
  options.schedule.warmup_batches = 2;
  options.schedule.step_batches = 3;
  options.schedule.step_gamma = 0.5f;
  ASSERT_TRUE(trainer.set_options(options).ok());
  uint64_t done = 0;
  for (int batches : {1, 1, 3, 4}) {
    const TrainSummary summary = trainer.train(batches);
    ASSERT_EQ(summary.batches, batches) << summary.error;
    done += batches;
    EXPECT_EQ(summary.learning_rate, scheduled_rate(options.schedule, 0.5f, done - 1)) << "after " << done;
  }
  EXPECT_FLOAT_EQ(scheduled_rate(options.schedule, 0.5f, 8), 0.125f);
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Deferred SGD steps under a rate that changes every step (DeferredSteps' tables, from the layer's rate
// history): a first layer of 784 inputs whose rows go dark for long runs of batches, stepped with
// inputs_read_next (rows not read now or next wait), against a layer stepping every row. Over 150 steps (past
// the full step forced every kMaxPendingSteps), the rows the next batch reads are current after every step, and
// after catch_up_deferred_steps() every weight and velocity is, up to float rounding.

constexpr int kDeferIn = 784, kDeferOut = 24, kDeferBatch = 8;

// Batch t lights a band of 100 inputs that drifts by 7 a batch (an input lit for ~14 batches, then dark for ~100),
// each lit entry non-zero with probability 0.4, plus a few stray pixels anywhere.
std::vector<float> drifting_band(Rng& rng, int t) {
  std::vector<float> x(static_cast<size_t>(kDeferBatch) * kDeferIn, 0.f);
  const int start = (t * 7) % kDeferIn;
  for (int b = 0; b < kDeferBatch; ++b) {
    for (int i = 0; i < 100; ++i)
      if (rng.uniform() < 0.4f) x[static_cast<size_t>(b) * kDeferIn + (start + i) % kDeferIn] = rng.uniform();
    if (rng.uniform() < 0.3f) x[static_cast<size_t>(b) * kDeferIn + rng.below(kDeferIn)] = rng.uniform();
  }
  return x;
}

std::vector<uint8_t> inputs_used(const std::vector<float>& x) {
  std::vector<uint8_t> used(kDeferIn, 0);
  for (size_t i = 0; i < x.size(); ++i) used[i % kDeferIn] |= x[i] != 0.f;
  return used;
}

// After step t, the rows of W the next batch reads (read_next) are current: within float rounding of a layer that
// stepped every row.
void expect_rows_read_next_current(const DenseLayer& lazy, const DenseLayer& eager, const std::vector<uint8_t>& read_next,
                                   int t) {
  for (int k = 0; k < kDeferIn; ++k) {
    if (!read_next[k]) continue;
    for (int j = 0; j < kDeferOut; ++j) {
      const size_t i = static_cast<size_t>(k) * kDeferOut + j;
      ASSERT_NEAR(lazy.weights[i], eager.weights[i], 1e-5 * (1 + std::fabs(eager.weights[i])))
          << "step " << t << ": row " << k << ", read next, owes " << lazy.deferred_steps[k] << " steps";
    }
  }
}

void expect_close(const FloatBuffer& a, const FloatBuffer& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5 * (1 + std::fabs(b[i]))) << what << " " << i;
}

// Two copies of one first layer, one told which inputs the next batch reads (its rows may wait) and one stepping
// every row, and `steps` + 1 drifting batches for them.
struct LazyAndEager {
  DenseLayer lazy{kDeferIn, kDeferOut}, eager{kDeferIn, kDeferOut};
  std::vector<float> scratch = std::vector<float>(static_cast<size_t>(kDeferIn) * kDeferBatch);
  std::vector<std::vector<float>> batches;
  LazyAndEager(Rng& rng, int steps) {
    lazy.init_he(rng);
    eager.weights = lazy.weights;
    for (int t = 0; t <= steps; ++t) batches.push_back(drifting_band(rng, t));
  }
};

TEST(OptimizerDeferredSteps, ARateChangingEveryStepStaysExact) {
  constexpr int kSteps = 150;
  Rng rng(404);
  LazyAndEager pair(rng, kSteps);
  DenseLayer &lazy = pair.lazy, &eager = pair.eager;
  std::vector<float>& scratch = pair.scratch;
  const std::vector<std::vector<float>>& batches = pair.batches;
  uint32_t longest_wait = 0;
  int full_steps = 0;  // steps that brought every row up to date though told the next batch's inputs
  for (int t = 0; t < kSteps; ++t) {
    StepRule rule;
    rule.learning_rate = 0.05f * (1.f + 0.8f * std::sin(1.3f * t));  // 0.01 to 0.09, a new rate each step
    rule.momentum = 0.9f;
    const std::vector<float> dy = random_floats(rng, static_cast<size_t>(kDeferBatch) * kDeferOut, -0.2f, 0.2f);
    const std::vector<uint8_t> read_next = inputs_used(batches[t + 1]);
    ASSERT_TRUE(lazy.backward_and_step(kDeferBatch, batches[t].data(), dy.data(), nullptr, scratch.data(), rule, false,
                                       read_next.data()));
    ASSERT_TRUE(eager.backward_and_step(kDeferBatch, batches[t].data(), dy.data(), nullptr, scratch.data(), rule));
    full_steps += !lazy.has_deferred_steps();
    for (uint32_t p : lazy.deferred_steps) longest_wait = std::max(longest_wait, p);
    ASSERT_NO_FATAL_FAILURE(expect_rows_read_next_current(lazy, eager, read_next, t));
  }
  EXPECT_GE(longest_wait, 40u) << "rows must wait long, or the rate history is hardly used";
  EXPECT_GE(full_steps, 2) << "the full step every kMaxPendingSteps must come twice in 150 steps";
  EXPECT_TRUE(lazy.has_deferred_steps());
  lazy.catch_up_deferred_steps();
  EXPECT_FALSE(lazy.has_deferred_steps());
  expect_close(lazy.weights, eager.weights, "weight");
  expect_close(lazy.weight_velocity, eager.weight_velocity, "velocity");
  expect_close(lazy.bias, eager.bias, "bias");
}

// 5b. Deferred Adam and AdamW steps, as 5: each exact but for ε's place (kernels.h), so close to a layer that
// steps every row, with a rate changing every step and AdamW's decay shrinking the waiting rows.
TEST(OptimizerDeferredSteps, AdamRowsThatWaitEndCloseToSteppingEveryRow) {
  constexpr int kSteps = 150;
  for (OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    SCOPED_TRACE(optimizer_name(kind));
    Rng rng(405);
    LazyAndEager pair(rng, kSteps);
    DenseLayer &lazy = pair.lazy, &eager = pair.eager;
    std::vector<float>& scratch = pair.scratch;
    const std::vector<std::vector<float>>& batches = pair.batches;
    uint32_t longest_wait = 0;
    for (int t = 0; t < kSteps; ++t) {
      StepRule rule;
      rule.optimizer = kind;
      rule.learning_rate = 0.001f * (1.f + 0.8f * std::sin(1.3f * t));
      rule.weight_decay = kind == OptimizerKind::kAdamW ? 0.5f : 0.f;
      rule.t = static_cast<uint32_t>(t + 1);
      const std::vector<float> dy = random_floats(rng, static_cast<size_t>(kDeferBatch) * kDeferOut, -0.2f, 0.2f);
      const std::vector<uint8_t> read_next = inputs_used(batches[t + 1]);
      ASSERT_TRUE(lazy.backward_and_step(kDeferBatch, batches[t].data(), dy.data(), nullptr, scratch.data(), rule,
                                         false, read_next.data()));
      ASSERT_TRUE(eager.backward_and_step(kDeferBatch, batches[t].data(), dy.data(), nullptr, scratch.data(), rule));
      for (uint32_t p : lazy.deferred_steps) longest_wait = std::max(longest_wait, p);
      ASSERT_NO_FATAL_FAILURE(expect_rows_read_next_current(lazy, eager, read_next, t));
    }
    EXPECT_GE(longest_wait, 40u) << "rows must wait long";
    lazy.catch_up_deferred_steps();
    EXPECT_FALSE(lazy.has_deferred_steps());
    expect_close(lazy.weights, eager.weights, "weight");
    expect_close(lazy.weight_velocity, eager.weight_velocity, "first moment");
    expect_close(lazy.weight_second, eager.weight_second, "second moment");
    // The rows moved: a catch-up that owed nothing would leave the dark rows where they started.
    double moved = 0;
    for (size_t i = 0; i < lazy.weights.size(); ++i) moved += std::fabs(lazy.weight_velocity[i]);
    EXPECT_GT(moved, 0.0);
  }
}

// Adam with an L2 weight decay (a gradient on every row) and a β2 below kMinDeferringBeta2 defer nothing.
TEST(OptimizerDeferredSteps, AdamDefersNothingWhereItCouldNotCatchUp) {
  const std::vector<uint8_t> nothing_next(kDeferIn, 0);
  for (int variant = 0; variant < 2; ++variant) {
    Rng rng(406);
    DenseLayer layer(kDeferIn, kDeferOut);
    layer.init_he(rng);
    std::vector<float> scratch(static_cast<size_t>(kDeferIn) * kDeferBatch);
    StepRule rule;
    rule.optimizer = OptimizerKind::kAdam;
    rule.learning_rate = 0.001f;
    if (variant == 0) rule.weight_decay = 0.01f;
    else rule.beta2 = 0.9f;
    const std::vector<float> x = drifting_band(rng, 0);
    const std::vector<float> dy = random_floats(rng, static_cast<size_t>(kDeferBatch) * kDeferOut, -0.2f, 0.2f);
    ASSERT_TRUE(layer.backward_and_step(kDeferBatch, x.data(), dy.data(), nullptr, scratch.data(), rule, false,
                                        nothing_next.data()));
    EXPECT_FALSE(layer.has_deferred_steps()) << "variant " << variant;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Dropout on the hidden layers.

NetworkConfig dropout_config(std::vector<int> sizes, uint32_t seed = 7) {
  NetworkConfig config;
  config.sizes = std::move(sizes);
  config.output = OutputLoss::kSoftmaxCrossEntropy;
  config.seed = seed;
  return config;
}

std::vector<float> parameters_of(const Network& net) {
  std::vector<float> out;
  net.copy_parameters_to(out);
  return out;
}

// Dropout 0 trains bit for bit as a network never told of dropout (and one told 0.5 then 0 before training).
TEST(OptimizerDropout, ZeroRateTrainsBitIdenticallyToNoDropout) {
  const NetworkConfig config = dropout_config({30, 20, 16, 5});
  Network never(config), zero(config), reset(config);
  zero.set_dropout(0.f);
  reset.set_dropout(0.5f);
  reset.set_dropout(0.f);
  Rng rng(505);
  for (int i = 0; i < 10; ++i) {
    const std::vector<float> x = random_floats(rng, 8 * 30, 0.f, 1.f);
    std::vector<uint8_t> labels(8);
    for (auto& l : labels) l = static_cast<uint8_t>(rng.below(5));
    const BatchResult a = never.train_batch(8, x.data(), labels.data(), 0.1f, 0.9f);
    const BatchResult b = zero.train_batch(8, x.data(), labels.data(), 0.1f, 0.9f);
    const BatchResult c = reset.train_batch(8, x.data(), labels.data(), 0.1f, 0.9f);
    ASSERT_EQ(a.loss, b.loss) << "batch " << i;
    ASSERT_EQ(a.loss, c.loss) << "batch " << i;
  }
  EXPECT_EQ(parameters_of(never), parameters_of(zero));
  EXPECT_EQ(parameters_of(never), parameters_of(reset));
}

// forward() never drops: with dropout 0.5 it gives the outputs of the same network without dropout, the same on
// every call, before and after training; train_batch does drop (its step differs from one without dropout).
TEST(OptimizerDropout, ForwardNeverDropsButTrainBatchDoes) {
  const NetworkConfig config = dropout_config({30, 40, 5});
  Network dropping(config), plain(config);
  dropping.set_dropout(0.5f);
  Rng rng(606);
  const std::vector<float> x = random_floats(rng, 8 * 30, 0.f, 1.f);
  const std::vector<uint8_t> labels = {0, 1, 2, 3, 4, 0, 1, 2};
  auto outputs = [&](Network& net) {
    const float* probs = net.forward(8, x.data());
    return std::vector<float>(probs, probs + 8 * 5);
  };
  EXPECT_EQ(outputs(dropping), outputs(plain));
  EXPECT_EQ(outputs(dropping), outputs(dropping));
  dropping.train_batch(8, x.data(), labels.data(), 0.1f, 0.9f);
  plain.train_batch(8, x.data(), labels.data(), 0.1f, 0.9f);
  EXPECT_NE(parameters_of(dropping), parameters_of(plain)) << "a step with dropout 0.5 must differ from one without";
  const std::vector<float> first = outputs(dropping);
  EXPECT_EQ(outputs(dropping), first);
  EXPECT_EQ(outputs(dropping), first);
}

// A gradient check cannot follow random masks, but one sample's step shows them: with momentum 0 the output
// layer's bias moves by lr·dy and row j of its weights by lr·h̃_j·dy, where h̃_j is hidden unit j as the step saw
// it. Every active unit (h_j > 0 without dropout) must be seen either dropped (0) or kept and scaled by
// 1/(1 − 0.5) = 2, half of them dropped (0.4 to 0.6 of ~250); and the first layer's bias, whose gradient is
// 2·Σ_c W2[j][c]·dy_c through a kept unit, must not move through a dropped one.
TEST(OptimizerDropout, TrainBatchDropsUnitsAndScalesTheKeptOnes) {
  constexpr int kIn = 20, kHidden = 512, kOut = 3;
  Network net(dropout_config({kIn, kHidden, kOut}, 9));
  net.set_dropout(0.5f);
  Rng rng(707);
  const std::vector<float> x = random_floats(rng, kIn, 0.f, 1.f);
  const uint8_t label = 1;
  const DenseLayer& first = net.layers()[0];
  const DenseLayer& second = net.layers()[1];
  std::vector<float> h(kHidden);
  first.forward(1, x.data(), h.data(), /*relu=*/true);
  const FloatBuffer W2 = second.weights, b2 = second.bias, b1 = first.bias;
  const float lr = 0.1f;
  ASSERT_TRUE(net.train_batch(1, x.data(), &label, lr, /*momentum=*/0.f).finite);

  std::vector<double> dy(kOut);
  int c_big = 0;
  for (int c = 0; c < kOut; ++c) {
    dy[c] = (static_cast<double>(b2[c]) - second.bias[c]) / lr;
    if (std::fabs(dy[c]) > std::fabs(dy[c_big])) c_big = c;
  }
  ASSERT_GT(std::fabs(dy[c_big]), 0.05);
  int active = 0, dropped = 0;
  for (int j = 0; j < kHidden; ++j) {
    const size_t at = static_cast<size_t>(j) * kOut + c_big;
    const double seen = (static_cast<double>(W2[at]) - second.weights[at]) / (lr * dy[c_big]);
    const double db1 = (static_cast<double>(b1[j]) - first.bias[j]) / lr;
    if (h[j] <= 0.f) {
      EXPECT_EQ(seen, 0.0) << "unit " << j << " is off without dropout";
      EXPECT_EQ(db1, 0.0) << "unit " << j;
      continue;
    }
    ++active;
    double back = 0;  // dL/dh̃_j
    for (int c = 0; c < kOut; ++c) back += W2[static_cast<size_t>(j) * kOut + c] * dy[c];
    if (seen == 0.0) {
      ++dropped;
      EXPECT_EQ(db1, 0.0) << "dropped unit " << j << " passed a gradient";
    } else {
      EXPECT_NEAR(seen, 2.0 * h[j], 1e-3 * (1 + h[j])) << "kept unit " << j << " is not scaled by 1/(1 − rate)";
      EXPECT_NEAR(db1, 2.0 * back, 1e-3 * (1e-2 + std::fabs(back))) << "kept unit " << j << "'s gradient";
    }
  }
  ASSERT_GE(active, 100);
  EXPECT_GT(dropped, active * 0.4) << dropped << " of " << active << " active units dropped";
  EXPECT_LT(dropped, active * 0.6) << dropped << " of " << active << " active units dropped";
}

// Trained through the Trainer with dropout 0.5, the separable quadrant set is still learnt; evaluation (forward)
// is the same on every call.
TEST(OptimizerDropout, ASeparableProblemIsStillLearnt) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(make_quadrant_set(256, 4, 100))).ok());
  ASSERT_TRUE(trainer.set_data(Split::kTest, load_dataset(make_quadrant_set(200, 4, 200))).ok());
  NetworkConfig config = dropout_config({16, 32, 4}, 3);
  ASSERT_TRUE(trainer.create_model(config).ok());
  TrainOptions options;
  options.batch_size = 16;
  options.learning_rate = 0.1f;
  options.dropout = 0.5f;
  ASSERT_TRUE(trainer.set_options(options).ok());
  const TrainSummary summary = trainer.train(300);
  ASSERT_EQ(summary.batches, 300) << summary.error;
  EXPECT_FLOAT_EQ(trainer.network().dropout(), 0.5f);
  const Evaluation a = trainer.evaluate(Split::kTest, 0), b = trainer.evaluate(Split::kTest, 0);
  EXPECT_GE(a.accuracy, 0.95);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.confusion, b.confusion);
}

// ---------------------------------------------------------------------------------------------------------------
// 7. Input scaling.

// A 4×4 set whose every pixel varies (a quadrant per class, lit or faint noise elsewhere), some pixels 255.
Dataset scaling_set() {
  RawSet set = make_quadrant_set(300, 4, 808);
  set.pixels[5] = 255;
  set.pixels[17] = 1;
  return load_dataset(set);
}

std::vector<float> scaled(const InputScaling& scaling, const Dataset& data) {
  const int F = data.features();
  std::vector<float> x(data.size() * F);
  for (size_t i = 0; i < data.size(); ++i) scaling.apply(data.image(i), x.data() + i * F, nullptr);
  return x;
}

// apply() against its formula, x[k] = pixel[k]·scale[k] + offset[k], on widths around the SIMD build's blocks of 16
// pixels: one scale for all (the fast path, which ORs the pixels into `used`) and one per pixel with offsets, some of
// which make an input exactly zero (then `used` stays as it was).
TEST(OptimizerScaling, ApplyIsItsFormulaOnEveryWidth) {
  for (int n : {1, 15, 16, 17, 35, 784}) {
    for (bool uniform : {true, false}) {
      InputScaling scaling = InputScaling::unit(n);
      if (!uniform)
        for (int k = 0; k < n; ++k) {
          scaling.scale[k] = 0.5f + 0.01f * (k % 7);
          scaling.offset[k] = k % 3 == 0 ? -scaling.scale[k] * static_cast<float>(k % 256) : 0.25f - 0.001f * k;
        }
      scaling.refresh();
      std::vector<uint8_t> pixels(n), used(n), before(n);
      for (int k = 0; k < n; ++k) {
        pixels[k] = static_cast<uint8_t>(k % 5 == 1 ? 0 : (k * 37 + 11) % 256);
        before[k] = used[k] = k % 4 == 0;
      }
      std::vector<float> x(n, -1.f), without(n, -1.f);
      scaling.apply(pixels.data(), x.data(), used.data());
      scaling.apply(pixels.data(), without.data(), nullptr);
      for (int k = 0; k < n; ++k) {
        const float expected = static_cast<float>(pixels[k]) * scaling.scale[k] + scaling.offset[k];
        ASSERT_EQ(x[k], expected) << n << (uniform ? " uniform " : " per pixel ") << k;
        ASSERT_EQ(without[k], expected) << n << k;
        ASSERT_EQ(used[k] != 0, before[k] != 0 || expected != 0.f) << n << (uniform ? " uniform " : " per pixel ") << k;
      }
    }
  }
}

// unit: pixel / 255, zeros kept.
TEST(OptimizerScaling, UnitIsPixelOver255) {
  const Dataset data = scaling_set();
  const InputScaling unit = InputScaling::fit(ScalingKind::kUnit, data);
  EXPECT_EQ(unit.kind, ScalingKind::kUnit);
  EXPECT_TRUE(unit.keeps_zeros());
  const std::vector<float> x = scaled(unit, data);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint8_t pixel = data.image(0)[i];  // image(i / F)[i % F]: the pixels are contiguous
    ASSERT_FLOAT_EQ(x[i], pixel / 255.f) << i;
  }
}

// rms: one scale for every input, such that the inputs' root mean square over the set is kTargetRms; a zero
// pixel stays an exact zero, and `used` flags exactly the non-zero pixels.
TEST(OptimizerScaling, RmsHitsTheTargetAndKeepsZeros) {
  const Dataset data = scaling_set();
  const InputScaling rms = InputScaling::fit(ScalingKind::kRms, data);
  EXPECT_EQ(rms.kind, ScalingKind::kRms);
  EXPECT_TRUE(rms.keeps_zeros());
  const std::vector<float> x = scaled(rms, data);
  double squares = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    squares += static_cast<double>(x[i]) * x[i];
    if (data.image(0)[i] == 0) ASSERT_EQ(x[i], 0.f) << i;
    else ASSERT_GT(x[i], 0.f) << i;
  }
  EXPECT_NEAR(std::sqrt(squares / x.size()), kTargetRms, 1e-4);
  for (float s : rms.scale) EXPECT_EQ(s, rms.scale.front());
  EXPECT_GT(std::fabs(rms.scale.front() - 1.f / 255.f), 1e-4) << "this set's rms must differ from MNIST's";
  std::vector<uint8_t> used(16, 0);
  std::vector<float> one(16);
  rms.apply(data.image(3), one.data(), used.data());
  for (int k = 0; k < 16; ++k) EXPECT_EQ(used[k] != 0, data.image(3)[k] != 0) << k;
}

// standard: every pixel centred (mean ≈ 0 over the set) with root mean square kTargetRms (each pixel here varies
// well above the std floor); zeros are not kept.
TEST(OptimizerScaling, StandardCentresEveryPixel) {
  const Dataset data = scaling_set();
  const InputScaling standard = InputScaling::fit(ScalingKind::kStandard, data);
  EXPECT_EQ(standard.kind, ScalingKind::kStandard);
  EXPECT_FALSE(standard.keeps_zeros());
  const std::vector<float> x = scaled(standard, data);
  const int F = data.features();
  for (int k = 0; k < F; ++k) {
    double sum = 0, squares = 0;
    for (size_t i = 0; i < data.size(); ++i) {
      sum += x[i * F + k];
      squares += static_cast<double>(x[i * F + k]) * x[i * F + k];
    }
    EXPECT_NEAR(sum / data.size(), 0.0, 1e-4) << "pixel " << k;
    EXPECT_NEAR(std::sqrt(squares / data.size()), kTargetRms, 1e-3) << "pixel " << k;
  }
  // A zero pixel is an input below zero, and `used` flags it.
  std::vector<uint8_t> used(F, 0);
  std::vector<float> one(F);
  size_t dark = 0;
  while (data.image(dark)[0] != 0) ++dark;
  standard.apply(data.image(dark), one.data(), used.data());
  EXPECT_LT(one[0], 0.f);
  EXPECT_TRUE(used[0]);
}

// A trainer whose model uses rms scaling saves it in the model file: a fresh trainer that loads the file (one
// holding no data, and one holding a much brighter set, which a refit would scale differently) predicts the same.
TEST(OptimizerScaling, RmsScalingTravelsInTheModelFile) {
  const RawSet train_set = make_quadrant_set(128, 4, 909);
  Trainer original;
  ASSERT_TRUE(original.set_data(Split::kTrain, load_dataset(train_set)).ok());
  NetworkConfig config = dropout_config({16, 12, 4}, 5);
  config.scaling = ScalingKind::kRms;
  ASSERT_TRUE(original.create_model(config).ok());
  ASSERT_EQ(original.network().input_scaling().kind, ScalingKind::kRms);
  const float scale = original.network().input_scaling().scale.front();
  ASSERT_GT(std::fabs(scale - 1.f / 255.f), 1e-4);
  TrainOptions options;
  options.batch_size = 16;
  options.learning_rate = 0.1f;
  ASSERT_TRUE(original.set_options(options).ok());
  ASSERT_EQ(original.train(40).batches, 40);
  std::vector<float> expected, got_empty, got_bright;
  ASSERT_TRUE(original.predict(train_set.pixels.data(), train_set.count(), &expected).ok());
  const std::vector<uint8_t> file = original.save();

  Trainer empty;
  ASSERT_TRUE(empty.load(file.data(), file.size()).ok());
  EXPECT_EQ(empty.network().input_scaling().kind, ScalingKind::kRms);
  EXPECT_EQ(empty.network().input_scaling().scale.front(), scale);
  ASSERT_TRUE(empty.predict(train_set.pixels.data(), train_set.count(), &got_empty).ok());
  EXPECT_EQ(got_empty, expected);

  RawSet bright = make_quadrant_set(64, 4, 910);
  for (auto& p : bright.pixels) p = static_cast<uint8_t>(std::min(255, p * 3 + 40));
  Trainer other;
  ASSERT_TRUE(other.set_data(Split::kTrain, load_dataset(bright)).ok());
  ASSERT_TRUE(other.load(file.data(), file.size()).ok());
  EXPECT_EQ(other.network().input_scaling().scale.front(), scale);
  ASSERT_TRUE(other.predict(train_set.pixels.data(), train_set.count(), &got_bright).ok());
  // The bright set's common value (40) is a background the first layer's products go around (input_background.h):
  // the same predictions up to float rounding.
  EXPECT_TRUE(other.network().has_input_background());
  ASSERT_EQ(got_bright.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(got_bright[i], expected[i], 1e-5f) << i;
}

// ---------------------------------------------------------------------------------------------------------------
// 8. The model file's versions 3 and 2 with the optimizer state, and version 1.

// Saved with its optimizer state (Trainer::save(true)) at an epoch's end, a model loaded into a fresh trainer
// trains on as the original does: the same losses, to the bit, and rates for the next batches, under SGD, Adam
// and AdamW with a weight decay and a cosine schedule (the step count, the seed and the epochs completed travel
// too, so the shuffles replay). Saved without the state, the next losses differ: the comparison can see a lost
// state. The same file written as version 2 (no place in the epoch, no dropout generator) trains on alike.
TEST(OptimizerModelFile, Versions3And2WithStateTrainOnAsTheOriginal) {
  const RawSet set = make_quadrant_set(64, 4, 1001);
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    SCOPED_TRACE(optimizer_name(kind));
    TrainOptions options;
    options.batch_size = 16;  // 4 batches an epoch
    options.optimizer = kind;
    options.learning_rate = kind == OptimizerKind::kSgd ? 0.3f : 0.01f;
    options.weight_decay = 0.01f;
    options.schedule.kind = ScheduleKind::kCosine;
    options.schedule.warmup_batches = 3;
    options.schedule.total_batches = 40;
    Trainer original;
    ASSERT_TRUE(original.set_data(Split::kTrain, load_dataset(set)).ok());
    NetworkConfig config = dropout_config({16, 12, 4}, 6);
    config.scaling = ScalingKind::kRms;
    ASSERT_TRUE(original.create_model(config).ok());
    ASSERT_TRUE(original.set_options(options).ok());
    ASSERT_EQ(original.train(12).batches, 12);
    const std::vector<uint8_t> with_state = original.save(true), without_state = original.save(false);
    ASSERT_EQ(with_state[4], 3);  // version 3, little-endian
    // Version 2: v3's 24 bytes after the epochs count (samples and batches into the epoch, the dropout
    // generator) taken out, then resealed.
    const size_t buffers = 4 * original.network().parameter_count() * (kind == OptimizerKind::kSgd ? 1 : 2);
    const size_t flag_at = with_state.size() - 4 - buffers - 48;
    ASSERT_EQ(with_state[flag_at], 1);
    std::vector<uint8_t> version2(with_state.begin(), with_state.begin() + flag_at + 24);
    version2.insert(version2.end(), with_state.begin() + flag_at + 48, with_state.end() - 4);
    version2[4] = 2;
    const uint32_t crc = crc32(version2.data(), version2.size());
    for (int i = 0; i < 4; ++i) version2.push_back(static_cast<uint8_t>(crc >> (8 * i)));

    auto resumed = [&](const std::vector<uint8_t>& file) {
      auto trainer = std::make_unique<Trainer>();
      EXPECT_TRUE(trainer->set_data(Split::kTrain, load_dataset(set)).ok());
      EXPECT_TRUE(trainer->set_options(options).ok());
      const Status loaded = trainer->load(file.data(), file.size());
      EXPECT_TRUE(loaded.ok()) << loaded.error;
      return trainer;
    };
    auto loaded = resumed(with_state), stateless = resumed(without_state), loaded2 = resumed(version2);
    EXPECT_EQ(loaded->step(), 12u);
    EXPECT_EQ(loaded2->step(), 12u);
    EXPECT_EQ(stateless->step(), 0u);
    const TrainSummary a = original.train(8), b = loaded->train(8), c = stateless->train(8), b2 = loaded2->train(8);
    EXPECT_EQ(a.batch_losses, b2.batch_losses) << "from the version 2 file";
    ASSERT_EQ(a.batches, 8) << a.error;
    ASSERT_EQ(b.batches, 8) << b.error;
    ASSERT_EQ(c.batches, 8) << c.error;
    EXPECT_EQ(a.learning_rate, b.learning_rate);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.epoch, b.epoch);
    EXPECT_EQ(a.batch_losses, b.batch_losses);
    double worst_lost = 0;
    for (int i = 0; i < 8; ++i) {
      worst_lost = std::max(worst_lost, std::fabs(static_cast<double>(c.batch_losses[i]) - a.batch_losses[i]) /
                                            std::fabs(a.batch_losses[i]));
    }
    EXPECT_GT(worst_lost, 1e-3) << "without the state the losses should differ";
  }
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_f32(std::vector<uint8_t>& out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  put_u32(out, bits);
}

// A version-1 file built by hand (the layout of before version 2: "SNET", u32 1, u32 output, u32 0, u32 L,
// u32 sizes[L + 1], f32 weights and bias per layer, CRC-32) loads, with unit scaling (pixel / 255) and no
// optimizer state: its predictions are the network's on pixel / 255, computed here in double.
TEST(OptimizerModelFile, Version1FileLoadsWithUnitScaling) {
  const std::vector<uint32_t> sizes = {6, 5, 3};
  Rng rng(1101);
  std::vector<std::vector<float>> weights, biases;
  std::vector<uint8_t> file = {'S', 'N', 'E', 'T'};
  put_u32(file, 1);
  put_u32(file, 1);  // softmax + cross-entropy
  put_u32(file, 0);  // ReLU
  put_u32(file, 2);
  for (uint32_t s : sizes) put_u32(file, s);
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    weights.push_back(random_floats(rng, sizes[l] * sizes[l + 1], -1.f, 1.f));
    biases.push_back(random_floats(rng, sizes[l + 1], -0.5f, 0.5f));
    for (float w : weights.back()) put_f32(file, w);
    for (float b : biases.back()) put_f32(file, b);
  }
  put_u32(file, crc32(file.data(), file.size()));

  std::unique_ptr<Network> net;
  OptimizerState state;
  state.present = true;
  const Status parsed = load_model(file.data(), file.size(), &net, &state);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_FALSE(state.present);

  Trainer trainer;
  const Status loaded = trainer.load(file.data(), file.size());
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  const Network& network = trainer.network();
  EXPECT_EQ(trainer.step(), 0u);
  EXPECT_EQ(network.config().sizes, std::vector<int>({6, 5, 3}));
  EXPECT_EQ(network.input_rows(), 1);
  const InputScaling& scaling = network.input_scaling();
  EXPECT_EQ(scaling.kind, ScalingKind::kUnit);
  EXPECT_TRUE(scaling.keeps_zeros());
  ASSERT_EQ(scaling.inputs(), 6);
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(scaling.scale[k], 1.f / 255.f);
    EXPECT_EQ(scaling.offset[k], 0.f);
  }
  for (size_t l = 0; l < 2; ++l) {
    EXPECT_EQ(std::vector<float>(network.layers()[l].weights.begin(), network.layers()[l].weights.end()), weights[l]);
    EXPECT_EQ(std::vector<float>(network.layers()[l].bias.begin(), network.layers()[l].bias.end()), biases[l]);
  }

  const std::vector<uint8_t> pixels = {0, 255, 17, 128, 3, 200, 90, 0, 0, 255, 64, 1};  // two images
  std::vector<float> scores;
  ASSERT_TRUE(trainer.predict(pixels.data(), 2, &scores).ok());
  for (int image = 0; image < 2; ++image) {
    std::vector<double> a(pixels.begin() + image * 6, pixels.begin() + image * 6 + 6);
    for (double& v : a) v /= 255.0;
    for (size_t l = 0; l < 2; ++l) {
      std::vector<double> next(sizes[l + 1]);
      for (uint32_t j = 0; j < sizes[l + 1]; ++j) {
        double sum = biases[l][j];
        for (uint32_t k = 0; k < sizes[l]; ++k) sum += a[k] * weights[l][k * sizes[l + 1] + j];
        next[j] = l == 0 ? std::max(sum, 0.0) : sum;
      }
      a = next;
    }
    const double top = *std::max_element(a.begin(), a.end());
    double total = 0;
    for (double v : a) total += std::exp(v - top);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(scores[image * 3 + c], std::exp(a[c] - top) / total, 1e-6) << image << "," << c;
  }
}

}  // namespace
