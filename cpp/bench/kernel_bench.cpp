// Kernel benchmark: GFLOP/s of the training products on the default network's shapes (batch 64,
// 784-2048-10, 80% zero inputs like MNIST), for this build's fast kernels against the naive reference.
// Prints one JSON object; `npm run bench` puts it beside the machine's peak.
// Built by CMake as scratchnet_kernel_bench_{simd,scalar}; run by `npm run bench`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "kernels.h"
#include "network.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif
#include "rng.h"

namespace {

using scratchnet::Rng;

// The time a call takes in the best of 8 stretches of budget_seconds / 8: on a shared machine, a slow spell falls in
// some stretches only (the peak below is the best of its runs, and npm run bench keeps each engine's best stretch).
double seconds_per_call(const std::function<void()>& call, double budget_seconds = 0.4) {
  call();  // warm up caches and the JIT
  constexpr int kStretches = 8;
  double best = 0;
  for (int stretch = 0; stretch < kStretches; ++stretch) {
    int calls = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      call();
      ++calls;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < budget_seconds / kStretches);
    const double per_call = elapsed / calls;
    if (stretch == 0 || per_call < best) best = per_call;
  }
  return best;
}

// Cache-line aligned like the engine's buffers (aligned_buffer.h): alignment alone moves the forward's speed.
scratchnet::FloatBuffer sparse_matrix(Rng& rng, size_t count, float zero_share) {
  scratchnet::FloatBuffer values(count);
  for (float& v : values) v = rng.uniform() < zero_share ? 0.f : rng.uniform();
  return values;
}

struct Result {
  std::string name;
  double fast_gflops, reference_gflops;
};

#if defined(__wasm_simd128__)
// GFLOP/s of C chains of 4-wide adds and C chains of 4-wide multiplies, independent of each other and of memory.
// Not inlined, and timed over many short calls: V8 first runs a wasm function in its baseline compiler and
// swaps in the optimised code only for later calls.
template <int C>
__attribute__((noinline)) double independent_mul_add_gflops_once(long iterations, float seed) {
  v128_t sum[C], product[C];
  for (int i = 0; i < C; ++i) {
    sum[i] = wasm_f32x4_splat(seed + static_cast<float>(i));
    product[i] = wasm_f32x4_splat(1.f + static_cast<float>(i) * 1e-3f);
  }
  const v128_t step = wasm_f32x4_splat(1e-7f), shrink = wasm_f32x4_splat(0.99999994f);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    for (int j = 0; j < C; ++j) {
      sum[j] = wasm_f32x4_add(sum[j], step);
      product[j] = wasm_f32x4_mul(product[j], shrink);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  float sink = 0;  // keeps the loop's results alive
  for (int j = 0; j < C; ++j) sink += wasm_f32x4_extract_lane(sum[j], 0) + wasm_f32x4_extract_lane(product[j], 0);
  return sink == 12345.f ? 0 : iterations * 2.0 * C * 4 / seconds / 1e9;
}

template <int C>
double independent_mul_add_gflops() {
  double best = 0;
  for (int call = 0; call < 20; ++call) best = std::max(best, independent_mul_add_gflops_once<C>(1'000'000, static_cast<float>(call)));
  return best;
}
#endif

// This machine's wasm SIMD peak for the kernels' arithmetic (4-wide multiplies and adds, no FMA) as V8 runs
// it: the best of a few widths of independent chains (too few and latency limits them, too many and they
// no longer fit in registers). 0 without SIMD.
double measured_peak_gflops() {
#if defined(__wasm_simd128__)
  return std::max({independent_mul_add_gflops<4>(), independent_mul_add_gflops<6>(), independent_mul_add_gflops<7>(),
                   independent_mul_add_gflops<8>()});
#else
  return 0;
#endif
}

}  // namespace

int main() {
  constexpr int B = 64, In = 784, Hidden = 2048, Out = 10;
  // The first layer as the network lays it out: its 2,048 units computed with its dead ones (network.h:
  // computed_size), so that its rows lie as they do in training. The FLOPs count the 2,048 used.
  const int Computed = scratchnet::computed_size({In, Hidden, Out}, 1);
  Rng rng(1);
  using scratchnet::FloatBuffer;
  const FloatBuffer x = sparse_matrix(rng, static_cast<size_t>(B) * In, 0.8f);  // MNIST-like pixels
  const FloatBuffer w1 = sparse_matrix(rng, static_cast<size_t>(In) * Computed, 0.f);
  const FloatBuffer b1(Computed, 0.f);
  const FloatBuffer dh = sparse_matrix(rng, static_cast<size_t>(B) * Computed, 0.5f);  // through a ReLU
  const FloatBuffer w2t = sparse_matrix(rng, static_cast<size_t>(Out) * Computed, 0.f);
  const FloatBuffer dy = sparse_matrix(rng, static_cast<size_t>(B) * Out, 0.f);
  FloatBuffer h(static_cast<size_t>(B) * Computed), dx(static_cast<size_t>(B) * Computed);
  FloatBuffer w(w1), v(w1.size(), 0.f), second(w1.size(), 0.f);
  size_t nonzero_inputs = 0;
  for (float value : x) nonzero_inputs += value != 0.f;

  // FLOPs actually needed (zero inputs contribute nothing): what "effective GFLOP/s" counts.
  const double forward_flops = 2.0 * nonzero_inputs * Hidden;
  const double input_grad_flops = 2.0 * B * Out * Hidden;
  const double weight_grad_flops = 2.0 * nonzero_inputs * Hidden + 4.0 * In * Hidden;  // products + the step
  // Adam's step: 9 multiplies and adds, a square root and a division a weight, counted as 11.
  const double adam_step_flops = 2.0 * nonzero_inputs * Hidden + 11.0 * In * Hidden;
  const scratchnet::AdamRule adam{1e-9f, 0.9f, 0.999f, 1e-8f, 0.f, false, 10};

  std::vector<Result> results;
  auto measure = [&](const std::string& name, double flops, const std::function<void()>& fast,
                     const std::function<void()>& reference) {
    results.push_back({name, flops / seconds_per_call(fast) / 1e9, flops / seconds_per_call(reference, 0.2) / 1e9});
  };
  measure("forward 64x784 . 784x2048 (80% zero inputs)", forward_flops,
          [&] { scratchnet::f32_gemm(B, In, Computed, x.data(), w1.data(), b1.data(), h.data()); },
          [&] { scratchnet::f32_gemm_reference(B, In, Computed, x.data(), w1.data(), b1.data(), h.data()); });
  measure("input gradient 64x10 . 10x2048", input_grad_flops,
          [&] { scratchnet::f32_gemm_relu_backward(B, Out, Computed, dy.data(), w2t.data(), h.data(), dx.data()); },
          [&] { scratchnet::f32_gemm_relu_backward_reference(B, Out, Computed, dy.data(), w2t.data(), h.data(), dx.data()); });
  measure("weight gradient + momentum step 784x64 . 64x2048", weight_grad_flops,
          [&] { scratchnet::f32_gemm_momentum_step(In, B, Computed, x.data(), dh.data(), w.data(), v.data(), 1e-9f, 0.9f); },
          [&] {
            scratchnet::f32_gemm_momentum_step_reference(In, B, Computed, x.data(), dh.data(), w.data(), v.data(), 1e-9f, 0.9f);
          });
  measure("weight gradient + adam step 784x64 . 64x2048", adam_step_flops,
          [&] { scratchnet::f32_gemm_adam_step(In, B, Computed, x.data(), dh.data(), w.data(), v.data(), second.data(), adam); },
          [&] {
            scratchnet::f32_gemm_adam_step_reference(In, B, Computed, x.data(), dh.data(), w.data(), v.data(), second.data(), adam);
          });

  // The forward with every input lit (centred data): the dense tiles, through the same dispatch.
  const FloatBuffer x_lit = sparse_matrix(rng, static_cast<size_t>(B) * In, 0.f);
  measure("forward 64x784 . 784x2048 (all inputs lit)", 2.0 * B * In * Hidden,
          [&] { scratchnet::f32_gemm(B, In, Computed, x_lit.data(), w1.data(), b1.data(), h.data()); },
          [&] { scratchnet::f32_gemm_reference(B, In, Computed, x_lit.data(), w1.data(), b1.data(), h.data()); });
  // The fused steps with every input lit: the dense tiles (a weight's step counted as in the sparse case).
  measure("weight gradient + momentum step (all inputs lit)", 2.0 * B * In * Hidden + 4.0 * In * Hidden,
          [&] { scratchnet::f32_gemm_momentum_step(In, B, Computed, x_lit.data(), dh.data(), w.data(), v.data(), 1e-9f, 0.9f); },
          [&] {
            scratchnet::f32_gemm_momentum_step_reference(In, B, Computed, x_lit.data(), dh.data(), w.data(), v.data(), 1e-9f, 0.9f);
          });
  measure("weight gradient + adam step (all inputs lit)", 2.0 * B * In * Hidden + 11.0 * In * Hidden,
          [&] { scratchnet::f32_gemm_adam_step(In, B, Computed, x_lit.data(), dh.data(), w.data(), v.data(), second.data(), adam); },
          [&] {
            scratchnet::f32_gemm_adam_step_reference(In, B, Computed, x_lit.data(), dh.data(), w.data(), v.data(), second.data(), adam);
          });
  // The crossover: the sparse kernels alone against the dense tiles, from MNIST's density to every input lit.
  std::string by_density;
#if defined(__wasm_simd128__)
  for (float lit : {0.2f, 0.35f, 0.5f, 0.65f, 0.8f, 1.0f}) {
    const FloatBuffer xd = sparse_matrix(rng, static_cast<size_t>(B) * In, 1.f - lit);
    const double sparse_s = seconds_per_call(
        [&] { scratchnet::f32_gemm_sparse_wasmsimd(B, In, Computed, xd.data(), w1.data(), b1.data(), h.data()); }, 0.2);
    const double dense_s = seconds_per_call(
        [&] { scratchnet::f32_gemm_dense_wasmsimd(B, In, Computed, xd.data(), w1.data(), b1.data(), h.data(), false); }, 0.2);
    char entry[128];
    std::snprintf(entry, sizeof entry, "%s{\"lit\":%.2f,\"sparseMs\":%.3f,\"denseMs\":%.3f}", by_density.empty() ? "" : ",",
                  lit, sparse_s * 1e3, dense_s * 1e3);
    by_density += entry;
  }
#endif
  std::printf("{\"backend\":\"%s\",\"peakGflops\":%.3f,\"kernels\":[", scratchnet::kernel_backend(), measured_peak_gflops());
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("%s{\"name\":\"%s\",\"gflops\":%.3f,\"referenceGflops\":%.3f}", i ? "," : "", results[i].name.c_str(),
                results[i].fast_gflops, results[i].reference_gflops);
  std::printf("],\"forwardByDensity\":[%s]}\n", by_density.c_str());
  return 0;
}
