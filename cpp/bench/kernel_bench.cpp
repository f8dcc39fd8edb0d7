// Kernel benchmark: GFLOP/s of the training products on the default network's shapes (batch 64,
// 784-2048-10, 80% zero inputs like MNIST), for this build's fast kernels against the naive reference.
// Prints one JSON object; `npm run bench` puts it beside the machine's peak.
// Built by CMake as scratchnet_kernel_bench_{simd,scalar}; run by `npm run bench`.
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "kernels.h"
#include "rng.h"

namespace {

using scratchnet::Rng;

double seconds_per_call(const std::function<void()>& call, double budget_seconds = 0.4) {
  call();  // warm up caches and the JIT
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    call();
    ++calls;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < budget_seconds);
  return elapsed / calls;
}

std::vector<float> sparse_matrix(Rng& rng, size_t count, float zero_share) {
  std::vector<float> values(count);
  for (float& v : values) v = rng.uniform() < zero_share ? 0.f : rng.uniform();
  return values;
}

struct Result {
  std::string name;
  double fast_gflops, reference_gflops;
};

}  // namespace

int main() {
  constexpr int B = 64, In = 784, Hidden = 2048, Out = 10;
  Rng rng(1);
  const std::vector<float> x = sparse_matrix(rng, static_cast<size_t>(B) * In, 0.8f);  // MNIST-like pixels
  const std::vector<float> w1 = sparse_matrix(rng, static_cast<size_t>(In) * Hidden, 0.f);
  const std::vector<float> b1(Hidden, 0.f);
  const std::vector<float> dh = sparse_matrix(rng, static_cast<size_t>(B) * Hidden, 0.5f);  // through a ReLU
  const std::vector<float> w2t = sparse_matrix(rng, static_cast<size_t>(Out) * Hidden, 0.f);
  const std::vector<float> dy = sparse_matrix(rng, static_cast<size_t>(B) * Out, 0.f);
  std::vector<float> h(static_cast<size_t>(B) * Hidden), dx(static_cast<size_t>(B) * Hidden);
  std::vector<float> w(w1), v(w1.size(), 0.f), g(w1.size()), xt(static_cast<size_t>(In) * B);
  size_t nonzero_inputs = 0;
  for (float value : x) nonzero_inputs += value != 0.f;

  // FLOPs actually needed (zero inputs contribute nothing): what "effective GFLOP/s" counts.
  const double forward_flops = 2.0 * nonzero_inputs * Hidden;
  const double input_grad_flops = 2.0 * B * Out * Hidden;
  const double weight_grad_flops = 2.0 * nonzero_inputs * Hidden + 4.0 * In * Hidden;  // products + the step

  std::vector<Result> results;
  auto measure = [&](const std::string& name, double flops, const std::function<void()>& fast,
                     const std::function<void()>& reference) {
    results.push_back({name, flops / seconds_per_call(fast) / 1e9, flops / seconds_per_call(reference, 0.2) / 1e9});
  };
  measure("forward 64x784 . 784x2048 (80% zero inputs)", forward_flops,
          [&] { scratchnet::f32_gemm(B, In, Hidden, x.data(), w1.data(), b1.data(), h.data()); },
          [&] { scratchnet::f32_gemm_reference(B, In, Hidden, x.data(), w1.data(), b1.data(), h.data()); });
  measure("input gradient 64x10 . 10x2048", input_grad_flops,
          [&] { scratchnet::f32_gemm_relu_backward(B, Out, Hidden, dy.data(), w2t.data(), h.data(), dx.data()); },
          [&] { scratchnet::f32_gemm_relu_backward_reference(B, Out, Hidden, dy.data(), w2t.data(), h.data(), dx.data()); });
  measure("weight gradient + momentum step 784x64 . 64x2048", weight_grad_flops,
          [&] { scratchnet::f32_gemm_momentum_step(In, B, Hidden, x.data(), dh.data(), w.data(), v.data(), 1e-9f, 0.9f); },
          [&] {
            scratchnet::f32_gemm_momentum_step_reference(In, B, Hidden, x.data(), dh.data(), w.data(), v.data(), 1e-9f, 0.9f);
          });

  std::printf("{\"backend\":\"%s\",\"kernels\":[", scratchnet::kernel_backend());
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("%s{\"name\":\"%s\",\"gflops\":%.3f,\"referenceGflops\":%.3f}", i ? "," : "", results[i].name.c_str(),
                results[i].fast_gflops, results[i].reference_gflops);
  std::printf("]}\n");
  return 0;
}
