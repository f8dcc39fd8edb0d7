// The matrix kernels of training and inference. Every product of the network reduces to one
// shape, C = A · B (+ bias), with zero entries of A skipped: MNIST pixels are ~80% zero and ReLU
// outputs about half, so skipping them is the largest single saving. The input and weight
// gradients reuse it after a transpose (see network.cpp).
//
// Each kernel exists three times, named by what it computes and where it runs:
//   *_reference  naive triple loop, the ground truth the tests hold the others against;
//   *_scalar     the fast algorithm in plain C++ (the only path of the scalar wasm build and of native);
//   *_wasmsimd   the fast algorithm with wasm_simd128.h (only when compiled with -msimd128).
// The unsuffixed names pick the fastest one this build has.
// All matrices are row-major and densely packed.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace scratchnet {

// C[M×N] = A[M×K] · B[K×N] + bias[N]   (bias may be null: no bias). Zero entries of A are skipped.
void f32_gemm_reference(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
void f32_gemm_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
#if defined(__wasm_simd128__)
void f32_gemm_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
#endif

// The same with the ReLU that follows a hidden layer fused in: C = max(A·B + bias, 0) (as x > 0 ? x : 0).
void f32_gemm_relu_reference(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
void f32_gemm_relu_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
#if defined(__wasm_simd128__)
void f32_gemm_relu_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
#endif

// The scalar twin of f32_gemm_dense_wasmsimd below (kernels/f32_gemm_dense_scalar.cpp), by 2×4 register tiles: what
// the scalar kernels take for an A with few zeros.
void f32_gemm_dense_scalar(int M, int K, int N, const float* A, const float* B, const float* bias, float* C, bool relu,
                           const float* relu_output = nullptr);

#if defined(__wasm_simd128__)
// C = A·B (+ bias), then ReLU when `relu`, or zero where relu_output (laid out as C) is not positive, by dense
// register tiles (kernels/f32_gemm_dense_wasmsimd.cpp): for an A with few zeros. f32_gemm_wasmsimd picks it or the sparse kernels by A's share of non-zeros; the sparse path
// alone is f32_gemm_sparse_wasmsimd (for the benchmark's crossover).
void f32_gemm_dense_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C,
                             bool relu, const float* relu_output = nullptr);
void f32_gemm_sparse_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C);
#endif

// An input gradient through the ReLU below a layer: C = A·B where relu_output > 0, else 0 (relu_output[M×N]
// is that ReLU's output, i.e. the layer's input).
void f32_gemm_relu_backward_reference(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                      float* C);
void f32_gemm_relu_backward_scalar(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                   float* C);
#if defined(__wasm_simd128__)
void f32_gemm_relu_backward_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                     float* C);
#endif

// Deferred steps of the fused weight step below. A row of W whose input is zero in every sample of a batch
// gets a zero gradient: its step only decays v and moves w along it. When the next batch does not read the
// row either, that step may wait: the row is left as it is and counted in pending[row]. The next time the
// row is stepped it first catches up its p waiting steps in closed form,
//   v ← μ^p·v,   w ← w − lr·(μ + μ² + … + μ^p)·v,
// the same as taking them one at a time up to float rounding. About a third of MNIST's pixels are zero in a
// batch of 64 and in the next, so this skips a third of the step's traffic over W and V.
struct DeferredSteps {
  uint32_t* pending;      // per row of W: the zero-gradient steps it has not taken yet
  const uint8_t* needed;  // per row: non-zero if the next batch reads the row, so it must be current after
                          // this step; null: every row must be (the step brings them all up to date)
  // SGD: when the learning rate changed while steps waited (a schedule), the coefficients by pending count,
  // decay[p] and catch_up[p] for p up to kMaxPendingSteps (DeferredStepTable); null: this step's rate throughout.
  // Adam (AdamRule): always set when a row may owe steps (Adam's deferred steps, below).
  const float* decay_by_pending = nullptr;
  const float* catch_up_by_pending = nullptr;
  const float* first_moment_decay_by_pending = nullptr;
  const float* second_moment_decay_by_pending = nullptr;
};
// Steps a row may wait: the layer takes a full step (every row current) at least this often.
constexpr uint32_t kMaxPendingSteps = 64;

// A row's step after `pending` deferred ones, for gradient g:  v ← decay·v + g,  w ← w − catch_up·v_before − lr·v.
// With nothing pending, decay = momentum and catch_up = 0: the plain step.
inline void deferred_step_coefficients(uint32_t pending, float lr, float momentum, float* decay, float* catch_up) {
  if (pending == 0) {
    *decay = momentum;
    *catch_up = 0.f;
    return;
  }
  const double mu = momentum, mu_p = std::pow(mu, static_cast<double>(pending));
  *decay = static_cast<float>(mu_p * mu);
  // μ + μ² + … + μ^p
  *catch_up = static_cast<float>(lr * (mu == 1.0 ? static_cast<double>(pending) : mu * (1.0 - mu_p) / (1.0 - mu)));
}

// One Adam step's constants (Kingma & Ba; epsilon and the bias corrections placed as PyTorch places them):
//   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  w −= lr·m̂ / (√v̂ + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
// weight_decay is an L2 term added to g (Adam), or with `decoupled` (AdamW) w ← w·(1 − lr·weight_decay) first.
struct AdamRule {
  float lr, beta1, beta2, epsilon, weight_decay;
  bool decoupled;
  uint32_t t;  // this step's number, from 1
};

// An Adam step's constants as the kernels apply them: the bias corrections folded into the step size and epsilon.
struct AdamConstants {
  float step_size;  // lr·√(1−β2^t)/(1−β1^t)
  float epsilon;    // ε·√(1−β2^t)
  float shrink;     // AdamW: 1 − lr·weight_decay; else 1
  float l2;         // Adam: weight_decay; else 0
};
inline AdamConstants adam_constants(const AdamRule& rule) {
  const double t = rule.t > 0 ? rule.t : 1;
  const double correction2 = std::sqrt(1.0 - std::pow(static_cast<double>(rule.beta2), t));
  AdamConstants constants;
  constants.step_size = static_cast<float>(rule.lr * correction2 / (1.0 - std::pow(static_cast<double>(rule.beta1), t)));
  constants.epsilon = static_cast<float>(rule.epsilon * correction2);
  constants.shrink = rule.decoupled ? 1.f - rule.lr * rule.weight_decay : 1.f;
  constants.l2 = rule.decoupled ? 0.f : rule.weight_decay;
  return constants;
}

// Adam's deferred steps (DeferredSteps, for AdamRule). A zero gradient still moves w along m, and p of them
// taken from (w, m, v) with no gradient give m·β1^p, v·β2^p and, the k-th moving w by s_k·β1^k·m/(β2^(k/2)·√v + ε_k)
// (s_k its step size, ε_k its epsilon), after AdamW's shrinks f_k:
//   w ← P[p]·w − C[p]·m/(√v + ε),   P[p] = Π f_k,   C[p] = Σ_k s_k·(β1/√β2)^k·Π_{i>k} f_i,
// exact but for ε's place: ε here is the catching-up step's, for each ε_k/β2^(k/2). That changes nothing while
// √v ≫ ε, and the owed movement by a few percent at most where ε dominates; the layer defers only for β2 ≥ 0.99
// (DenseLayer). A row owing p steps then takes its step with moments decayed by β1^(p+1) and β2^(p+1):
//   decay_by_pending[p] = P[p],  catch_up_by_pending[p] = C[p],
//   first_moment_decay_by_pending[p] = β1^(p+1),  second_moment_decay_by_pending[p] = β2^(p+1).

// The weight-gradient step of a layer fused with SGD with momentum: G[K×N] = X[M×K]ᵀ · D[M×N] (X is the
// layer's input, D the gradient of its output), then V = momentum·V + G and W -= lr·V, block by block,
// without storing G or transposing X. Bit-identical to f32_gemm on the transposed X followed by
// f32_momentum_step, of the same flavour. With `deferred` (may be null), rows of W may defer their step
// (DeferredSteps above). weight_decay adds the L2 term weight_decay·w to G (no deferral then: every row has a
// gradient). Returns false when a W became non-finite.
bool f32_gemm_momentum_step_reference(int K, int M, int N, const float* X, const float* D, float* W, float* V,
                                      float lr, float momentum, const DeferredSteps* deferred = nullptr,
                                      float weight_decay = 0.f);
bool f32_gemm_momentum_step_scalar(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                   float momentum, const DeferredSteps* deferred = nullptr, float weight_decay = 0.f);
#if defined(__wasm_simd128__)
bool f32_gemm_momentum_step_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W, float* V,
                                     float lr, float momentum, const DeferredSteps* deferred = nullptr,
                                     float weight_decay = 0.f);
#endif

// The fused step above, then the next batch's forward through the stepped weights: Y[Mn×N] = max(Xn[Mn×K]·W +
// bias, 0), as f32_gemm_relu (without `relu`, Xn·W + bias as f32_gemm: a forward around an input background,
// whose ReLU comes after). W and V are bit-identical to the step alone. The wasm SIMD kernel steps a chunk of W's
// rows and runs the forward over it while it is in cache, and sums Y in two runs of W's rows, a thread each (the
// one done first taking on the rest of the other's last chunk), then adds them: each core writes only its own
// pages of W, V and the sums (performance.md), and Y equals f32_gemm_relu's up to that order of the sums (the same
// bits on one thread as on two). A next batch lit above the dense tiles' crossover takes the step, then f32_gemm_relu.
bool f32_gemm_momentum_step_then_forward_relu_reference(int K, int M, int N, const float* X, const float* D, float* W,
                                                        float* V, float lr, float momentum,
                                                        const DeferredSteps* deferred, int Mn, const float* Xn,
                                                        const float* bias, float* Y, float weight_decay = 0.f,
                                                        bool relu = true);
bool f32_gemm_momentum_step_then_forward_relu_scalar(int K, int M, int N, const float* X, const float* D, float* W,
                                                     float* V, float lr, float momentum, const DeferredSteps* deferred,
                                                     int Mn, const float* Xn, const float* bias, float* Y,
                                                     float weight_decay = 0.f, bool relu = true);
#if defined(__wasm_simd128__)
bool f32_gemm_momentum_step_then_forward_relu_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W,
                                                       float* V, float lr, float momentum,
                                                       const DeferredSteps* deferred, int Mn, const float* Xn,
                                                       const float* bias, float* Y, float weight_decay = 0.f,
                                                       bool relu = true);
#endif

// The fused weight step of Adam / AdamW (AdamRule): G[K×N] = X[M×K]ᵀ · D[M×N] applied to W with the moments M1
// (first) and M2 (second), block by block, never stored; bit-identical to f32_gemm on the transposed X followed by
// f32_adam_step of the same flavour. With `deferred` (may be null), rows of W may defer their step (Adam's deferred
// steps, above; no L2 weight decay then). False when a W became non-finite.
bool f32_gemm_adam_step_reference(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                                  const AdamRule& rule, const DeferredSteps* deferred = nullptr);
bool f32_gemm_adam_step_scalar(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                               const AdamRule& rule, const DeferredSteps* deferred = nullptr);
#if defined(__wasm_simd128__)
bool f32_gemm_adam_step_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                                 const AdamRule& rule, const DeferredSteps* deferred = nullptr);
#endif
// The Adam step above, then the next batch's forward Y[Mn×N] = max(Xn·W + bias, 0): the two in turn, fused
// where it pays as f32_gemm_momentum_step_then_forward_relu is.
bool f32_gemm_adam_step_then_forward_relu_reference(int K, int M, int N, const float* X, const float* D, float* W,
                                                    float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                    const float* bias, float* Y,
                                                    const DeferredSteps* deferred = nullptr, bool relu = true);
bool f32_gemm_adam_step_then_forward_relu_scalar(int K, int M, int N, const float* X, const float* D, float* W,
                                                 float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                 const float* bias, float* Y,
                                                 const DeferredSteps* deferred = nullptr, bool relu = true);
#if defined(__wasm_simd128__)
bool f32_gemm_adam_step_then_forward_relu_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W,
                                                   float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                   const float* bias, float* Y,
                                                   const DeferredSteps* deferred = nullptr, bool relu = true);
#endif

// T[C×R] = S[R×C]^T
void f32_transpose(int R, int C, const float* S, float* T);

// to[0, n) = from[0, n), not overlapping. A loop compiled at -O3 for the -Os code that copies parameters: there a
// std::copy is libc's byte-at-a-time memmove, or an element-by-element insert (SCRATCHNET_OWN_MEMSET in CMakeLists.txt).
// A large copy (a checkpoint's) is split across the threads.
void f32_copy(size_t n, const float* from, float* to);

// sums[N] = column sums of A[M×N]   (the bias gradient)
void f32_column_sums_reference(int M, int N, const float* A, float* sums);
void f32_column_sums_scalar(int M, int N, const float* A, float* sums);
#if defined(__wasm_simd128__)
void f32_column_sums_wasmsimd(int M, int N, const float* A, float* sums);
#endif

// SGD with momentum over n parameters:  v = momentum·v + g;  w -= lr·v.
// Returns false when any updated w is not finite (a diverging run; the fast kernels tell by summing the
// weights, gemm_driver.h: MomentumStep).
bool f32_momentum_step_reference(size_t n, float* w, float* v, const float* g, float lr, float momentum);
bool f32_momentum_step_scalar(size_t n, float* w, float* v, const float* g, float lr, float momentum);
#if defined(__wasm_simd128__)
bool f32_momentum_step_wasmsimd(size_t n, float* w, float* v, const float* g, float lr, float momentum);
#endif

// Adam / AdamW over n parameters (AdamRule) with gradient g; false when any updated w is not finite.
bool f32_adam_step_reference(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule);
bool f32_adam_step_scalar(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule);
#if defined(__wasm_simd128__)
bool f32_adam_step_wasmsimd(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule);
#endif

// "wasm-simd128" or "scalar": which kernels the unsuffixed names use in this build.
const char* kernel_backend();

#if defined(__wasm_simd128__)
#define SCRATCHNET_FASTEST(kernel) kernel##_wasmsimd
#else
#define SCRATCHNET_FASTEST(kernel) kernel##_scalar
#endif
inline void f32_gemm(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  SCRATCHNET_FASTEST(f32_gemm)(M, K, N, A, B, bias, C);
}
inline void f32_gemm_relu(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  SCRATCHNET_FASTEST(f32_gemm_relu)(M, K, N, A, B, bias, C);
}
inline void f32_gemm_relu_backward(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                   float* C) {
  SCRATCHNET_FASTEST(f32_gemm_relu_backward)(M, K, N, A, B, relu_output, C);
}
inline bool f32_gemm_momentum_step(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                   float momentum, const DeferredSteps* deferred = nullptr, float weight_decay = 0.f) {
  return SCRATCHNET_FASTEST(f32_gemm_momentum_step)(K, M, N, X, D, W, V, lr, momentum, deferred, weight_decay);
}
inline bool f32_gemm_momentum_step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W,
                                                    float* V, float lr, float momentum, const DeferredSteps* deferred,
                                                    int Mn, const float* Xn, const float* bias, float* Y,
                                                    float weight_decay = 0.f, bool relu = true) {
  return SCRATCHNET_FASTEST(f32_gemm_momentum_step_then_forward_relu)(K, M, N, X, D, W, V, lr, momentum, deferred, Mn,
                                                                     Xn, bias, Y, weight_decay, relu);
}
inline bool f32_gemm_adam_step(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                               const AdamRule& rule, const DeferredSteps* deferred = nullptr) {
  return SCRATCHNET_FASTEST(f32_gemm_adam_step)(K, M, N, X, D, W, M1, M2, rule, deferred);
}
inline bool f32_gemm_adam_step_then_forward_relu(int K, int M, int N, const float* X, const float* D, float* W,
                                                float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                const float* bias, float* Y, const DeferredSteps* deferred = nullptr,
                                                bool relu = true) {
  return SCRATCHNET_FASTEST(f32_gemm_adam_step_then_forward_relu)(K, M, N, X, D, W, M1, M2, rule, Mn, Xn, bias, Y,
                                                                 deferred, relu);
}
inline bool f32_adam_step(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule) {
  return SCRATCHNET_FASTEST(f32_adam_step)(n, w, m, v, g, rule);
}
inline void f32_column_sums(int M, int N, const float* A, float* sums) { SCRATCHNET_FASTEST(f32_column_sums)(M, N, A, sums); }
inline bool f32_momentum_step(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
  return SCRATCHNET_FASTEST(f32_momentum_step)(n, w, v, g, lr, momentum);
}
#undef SCRATCHNET_FASTEST

}  // namespace scratchnet
