// Naive kernels: the obvious loops, kept simple enough to trust. Tests compare the fast ones to these.
#include <cmath>
#include <vector>

#include "activations.h"
#include "kernels.h"
#include "parallel.h"

namespace scratchnet {

void f32_gemm_reference(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      double sum = bias ? bias[n] : 0.0;
      for (int k = 0; k < K; ++k) sum += static_cast<double>(A[m * K + k]) * B[k * N + n];
      C[m * N + n] = static_cast<float>(sum);
    }
  }
}

namespace {
// G[K×N] = X[M×K]ᵀ · D[M×N]
std::vector<float> weight_gradient(int K, int M, int N, const float* X, const float* D) {
  std::vector<float> transposed(static_cast<size_t>(K) * M), gradient(static_cast<size_t>(K) * N);
  f32_transpose(M, K, X, transposed.data());
  f32_gemm_reference(K, M, N, transposed.data(), D, nullptr, gradient.data());
  return gradient;
}
}  // namespace

bool f32_gemm_momentum_step_reference(int K, int M, int N, const float* X, const float* D, float* W, float* V,
                                      float lr, float momentum, const DeferredSteps* deferred, float weight_decay) {
  std::vector<float> gradient = weight_gradient(K, M, N, X, D);
  if (weight_decay != 0.f)
    for (size_t i = 0; i < gradient.size(); ++i) gradient[i] += weight_decay * W[i];
  if (!deferred) return f32_momentum_step_reference(gradient.size(), W, V, gradient.data(), lr, momentum);
  bool finite = true;
  for (int k = 0; k < K; ++k) {
    bool input_zero = true;
    for (int m = 0; m < M; ++m) input_zero &= X[static_cast<size_t>(m) * K + k] == 0.f;
    if (input_zero && deferred->needed && !deferred->needed[k]) {
      ++deferred->pending[k];
      continue;
    }
    float decay, catch_up;
    if (deferred->decay_by_pending) {
      decay = deferred->decay_by_pending[deferred->pending[k]];
      catch_up = deferred->catch_up_by_pending[deferred->pending[k]];
    } else {
      deferred_step_coefficients(deferred->pending[k], lr, momentum, &decay, &catch_up);
    }
    deferred->pending[k] = 0;
    for (int n = 0; n < N; ++n) {
      const size_t i = static_cast<size_t>(k) * N + n;
      const float before = V[i];
      V[i] = decay * before + gradient[i];
      if (catch_up != 0.f) W[i] -= catch_up * before;
      W[i] -= lr * V[i];
      if (!std::isfinite(W[i])) finite = false;
    }
  }
  return finite;
}

void f32_gemm_relu_reference(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  f32_gemm_reference(M, K, N, A, B, bias, C);
  relu_forward(static_cast<size_t>(M) * N, C, C);
}

void f32_gemm_relu_backward_reference(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                      float* C) {
  f32_gemm_reference(M, K, N, A, B, nullptr, C);
  relu_backward(static_cast<size_t>(M) * N, relu_output, C, C);
}

void f32_transpose(int R, int C, const float* S, float* T) {
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) T[static_cast<size_t>(c) * R + r] = S[static_cast<size_t>(r) * C + c];
}

namespace {
void copy_floats(size_t n, const float* __restrict from, float* __restrict to) {
  for (size_t i = 0; i < n; ++i) to[i] = from[i];
}
// Copies of at least this many floats (the default network's first layer: 1.6M) are split across the threads:
// on one, a checkpoint kept the other waiting for about a millisecond.
[[maybe_unused]] constexpr size_t kThreadedCopyFloats = size_t{1} << 18;
}  // namespace

void f32_copy(size_t n, const float* from, float* to) {
#if defined(SCRATCHNET_THREADS)  // (the one-thread builds, the embed's among them, leave the split out)
  if (n >= kThreadedCopyFloats && thread_count() > 1) {
    run_parts([&](int part, int parts) {
      const size_t begin = n * part / parts, end = n * (part + 1) / parts;
      copy_floats(end - begin, from + begin, to + begin);
    });
    return;
  }
#endif
  copy_floats(n, from, to);
}

void f32_column_sums_reference(int M, int N, const float* A, float* sums) {
  for (int n = 0; n < N; ++n) {
    double sum = 0.0;
    for (int m = 0; m < M; ++m) sum += A[m * N + n];
    sums[n] = static_cast<float>(sum);
  }
}

bool f32_gemm_momentum_step_then_forward_relu_reference(int K, int M, int N, const float* X, const float* D, float* W,
                                                           float* V, float lr, float momentum, const DeferredSteps* deferred, int Mn,
                                                           const float* Xn, const float* bias, float* Y, float weight_decay, bool relu) {
  const bool finite = f32_gemm_momentum_step_reference(K, M, N, X, D, W, V, lr, momentum, deferred, weight_decay);
  if (relu)
    f32_gemm_relu_reference(Mn, K, N, Xn, W, bias, Y);
  else
    f32_gemm_reference(Mn, K, N, Xn, W, bias, Y);
  return finite;
}

bool f32_momentum_step_reference(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
  bool finite = true;
  for (size_t i = 0; i < n; ++i) {
    v[i] = momentum * v[i] + g[i];
    w[i] -= lr * v[i];
    if (!std::isfinite(w[i])) finite = false;
  }
  return finite;
}

bool f32_adam_step_reference(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule) {
  // The textbook form, in double, with the bias corrections applied to the moments.
  const double t = rule.t > 0 ? rule.t : 1;
  const double correction1 = 1.0 - std::pow(static_cast<double>(rule.beta1), t);
  const double correction2 = 1.0 - std::pow(static_cast<double>(rule.beta2), t);
  bool finite = true;
  for (size_t i = 0; i < n; ++i) {
    double gradient = g[i];
    double weight = w[i];
    if (rule.decoupled)
      weight *= 1.0 - static_cast<double>(rule.lr) * rule.weight_decay;
    else
      gradient += static_cast<double>(rule.weight_decay) * w[i];
    m[i] = static_cast<float>(rule.beta1 * static_cast<double>(m[i]) + (1.0 - rule.beta1) * gradient);
    v[i] = static_cast<float>(rule.beta2 * static_cast<double>(v[i]) + (1.0 - rule.beta2) * gradient * gradient);
    const double m_hat = m[i] / correction1, v_hat = v[i] / correction2;
    w[i] = static_cast<float>(weight - rule.lr * m_hat / (std::sqrt(v_hat) + rule.epsilon));
    if (!std::isfinite(w[i])) finite = false;
  }
  return finite;
}

bool f32_gemm_adam_step_reference(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                                  const AdamRule& rule, const DeferredSteps* deferred) {
  const std::vector<float> gradient = weight_gradient(K, M, N, X, D);
  if (!deferred) return f32_adam_step_reference(gradient.size(), W, M1, M2, gradient.data(), rule);
  // Row by row: a waiting row counts its step; a row that owes steps takes them (kernels.h: Adam's deferred
  // steps), then the textbook step.
  const double t = rule.t > 0 ? rule.t : 1;
  const double epsilon = rule.epsilon * std::sqrt(1.0 - std::pow(static_cast<double>(rule.beta2), t));
  bool finite = true;
  for (int k = 0; k < K; ++k) {
    bool input_zero = true;
    for (int m = 0; m < M; ++m) input_zero &= X[static_cast<size_t>(m) * K + k] == 0.f;
    uint32_t& pending = deferred->pending[k];
    if (input_zero && deferred->needed && !deferred->needed[k]) {
      ++pending;
      continue;
    }
    const size_t row = static_cast<size_t>(k) * N;
    if (pending != 0) {
      const double shrink = deferred->decay_by_pending[pending], owed = deferred->catch_up_by_pending[pending];
      const double first_decay = std::pow(static_cast<double>(rule.beta1), pending);
      const double second_decay = std::pow(static_cast<double>(rule.beta2), pending);
      for (int n = 0; n < N; ++n) {
        const size_t i = row + n;
        W[i] = static_cast<float>(shrink * W[i] - owed * M1[i] / (std::sqrt(static_cast<double>(M2[i])) + epsilon));
        M1[i] = static_cast<float>(first_decay * M1[i]);
        M2[i] = static_cast<float>(second_decay * M2[i]);
      }
      pending = 0;
    }
    finite &= f32_adam_step_reference(N, W + row, M1 + row, M2 + row, gradient.data() + row, rule);
  }
  return finite;
}

bool f32_gemm_adam_step_then_forward_relu_reference(int K, int M, int N, const float* X, const float* D, float* W,
                                                    float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                    const float* bias, float* Y, const DeferredSteps* deferred, bool relu) {
  const bool finite = f32_gemm_adam_step_reference(K, M, N, X, D, W, M1, M2, rule, deferred);
  if (relu)
    f32_gemm_relu_reference(Mn, K, N, Xn, W, bias, Y);
  else
    f32_gemm_reference(Mn, K, N, Xn, W, bias, Y);
  return finite;
}

}  // namespace scratchnet
