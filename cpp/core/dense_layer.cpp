#include "dense_layer.h"

#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace scratchnet {

DenseLayer::DenseLayer(int in_size, int out_size)
    : in(in_size),
      out(out_size),
      weights(static_cast<size_t>(in_size) * out_size),
      bias(out_size) {}

void DenseLayer::ensure_training_buffers() {
  if (!weight_grad.empty()) return;
  weight_grad.assign(weights.size(), 0.f);
  bias_grad.assign(bias.size(), 0.f);
  weight_velocity.assign(weights.size(), 0.f);
  bias_velocity.assign(bias.size(), 0.f);
}

void DenseLayer::release_training_buffers() {
  for (auto* buffer : {&weight_grad, &bias_grad, &weight_velocity, &bias_velocity}) std::vector<float>().swap(*buffer);
}

void DenseLayer::reset_velocity() {
  std::fill(weight_velocity.begin(), weight_velocity.end(), 0.f);
  std::fill(bias_velocity.begin(), bias_velocity.end(), 0.f);
}

void DenseLayer::init_he(Rng& rng) {
  const float stddev = std::sqrt(2.f / static_cast<float>(in));
  for (float& w : weights) w = stddev * rng.normal();
  std::fill(bias.begin(), bias.end(), 0.f);
  reset_velocity();
}

void DenseLayer::forward(int B, const float* x, float* y) const {
  f32_gemm(B, in, out, x, weights.data(), bias.data(), y);
}

void DenseLayer::backward(int B, const float* x, const float* dy, float* dx, float* scratch) {
  ensure_training_buffers();
  // dW[in×out] = xᵀ[in×B] · dy[B×out]: a gemm over the transposed input, so zero inputs are skipped.
  f32_transpose(B, in, x, scratch);
  f32_gemm(in, B, out, scratch, dy, nullptr, weight_grad.data());
  f32_column_sums(B, out, dy, bias_grad.data());
  if (dx) {
    // dx[B×in] = dy[B×out] · Wᵀ[out×in]
    f32_transpose(in, out, weights.data(), scratch);
    f32_gemm(B, out, in, dy, scratch, nullptr, dx);
  }
}

bool DenseLayer::momentum_step(float learning_rate, float momentum) {
  ensure_training_buffers();
  const bool weights_finite = f32_momentum_step(weights.size(), weights.data(), weight_velocity.data(),
                                                weight_grad.data(), learning_rate, momentum);
  const bool bias_finite =
      f32_momentum_step(bias.size(), bias.data(), bias_velocity.data(), bias_grad.data(), learning_rate, momentum);
  return weights_finite && bias_finite;
}

}  // namespace scratchnet
