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

void DenseLayer::ensure_gradients() {
  if (weight_grad.empty()) weight_grad.assign(weights.size(), 0.f);
  if (bias_grad.empty()) bias_grad.assign(bias.size(), 0.f);
}

void DenseLayer::ensure_velocities() {
  if (weight_velocity.empty()) weight_velocity.assign(weights.size(), 0.f);
  if (bias_velocity.empty()) bias_velocity.assign(bias.size(), 0.f);
  if (bias_grad.empty()) bias_grad.assign(bias.size(), 0.f);  // the bias gradient is small: the step still stores it
}

void DenseLayer::release_training_buffers() {
  catch_up_deferred_steps();
  for (auto* buffer : {&weight_grad, &bias_grad, &weight_velocity, &bias_velocity}) FloatBuffer().swap(*buffer);
  std::vector<uint32_t>().swap(deferred_steps);
}

void DenseLayer::reset_velocity() {
  std::fill(weight_velocity.begin(), weight_velocity.end(), 0.f);
  std::fill(bias_velocity.begin(), bias_velocity.end(), 0.f);
  std::fill(deferred_steps.begin(), deferred_steps.end(), 0u);  // with v = 0 they would not move w
  has_deferred_ = false;
}

void DenseLayer::catch_up_deferred_steps() {
  if (!has_deferred_) return;
  has_deferred_ = false;
  for (int row = 0; row < in; ++row) {
    uint32_t& pending = deferred_steps[row];
    if (pending == 0) continue;
    // p owed steps = p − 1 of them caught up, then one with a zero gradient (kernels.h).
    float decay, catch_up;
    deferred_step_coefficients(pending - 1, deferred_lr_, deferred_momentum_, &decay, &catch_up);
    pending = 0;
    float* w = weights.data() + static_cast<size_t>(row) * out;
    float* v = weight_velocity.data() + static_cast<size_t>(row) * out;
    for (int j = 0; j < out; ++j) {
      const float before = v[j];
      v[j] = decay * before;
      w[j] = w[j] - catch_up * before - deferred_lr_ * v[j];
    }
  }
}

void DenseLayer::init_he(Rng& rng) {
  const float stddev = std::sqrt(2.f / static_cast<float>(in));
  for (float& w : weights) w = stddev * rng.normal();
  std::fill(bias.begin(), bias.end(), 0.f);
  reset_velocity();
}

void DenseLayer::forward(int B, const float* x, float* y, bool relu) const {
  if (relu)
    f32_gemm_relu(B, in, out, x, weights.data(), bias.data(), y);
  else
    f32_gemm(B, in, out, x, weights.data(), bias.data(), y);
}

void DenseLayer::input_gradient(int B, const float* dy, float* dx, float* scratch, const float* relu_output) const {
  f32_transpose(in, out, weights.data(), scratch);
  if (relu_output)
    f32_gemm_relu_backward(B, out, in, dy, scratch, relu_output, dx);
  else
    f32_gemm(B, out, in, dy, scratch, nullptr, dx);
}

void DenseLayer::backward(int B, const float* x, const float* dy, float* dx, float* scratch, bool x_through_relu) {
  ensure_gradients();
  // dW[in×out] = xᵀ[in×B] · dy[B×out]: a gemm over the transposed input, so zero inputs are skipped.
  f32_transpose(B, in, x, scratch);
  f32_gemm(in, B, out, scratch, dy, nullptr, weight_grad.data());
  f32_column_sums(B, out, dy, bias_grad.data());
  if (dx) input_gradient(B, dy, dx, scratch, x_through_relu ? x : nullptr);
}

bool DenseLayer::backward_and_step(int B, const float* x, const float* dy, float* dx, float* scratch,
                                   float learning_rate, float momentum, bool x_through_relu,
                                   const uint8_t* inputs_read_next, const NextForward* next_forward) {
  ensure_velocities();
  if (dx) input_gradient(B, dy, dx, scratch, x_through_relu ? x : nullptr);  // before the weights move
  // The bias first: a next forward starts from it.
  f32_column_sums(B, out, dy, bias_grad.data());
  const bool bias_finite =
      f32_momentum_step(bias.size(), bias.data(), bias_velocity.data(), bias_grad.data(), learning_rate, momentum);
  // Owed steps are caught up in closed form with this step's rate and momentum: settle them first if those changed.
  if (has_deferred_ && (learning_rate != deferred_lr_ || momentum != deferred_momentum_)) catch_up_deferred_steps();
  DeferredSteps deferral{nullptr, inputs_read_next};
  if (inputs_read_next || has_deferred_) {
    deferred_steps.resize(in, 0u);
    deferral.pending = deferred_steps.data();
  }
  const DeferredSteps* deferred = deferral.pending ? &deferral : nullptr;
  const bool weights_finite =
      next_forward ? f32_gemm_momentum_step_then_forward_relu(in, B, out, x, dy, weights.data(), weight_velocity.data(),
                                                              learning_rate, momentum, deferred, next_forward->batch,
                                                              next_forward->x, bias.data(), next_forward->y)
                   : f32_gemm_momentum_step(in, B, out, x, dy, weights.data(), weight_velocity.data(), learning_rate,
                                            momentum, deferred);
  has_deferred_ = inputs_read_next != nullptr;  // a step without it brought every row up to date
  deferred_lr_ = learning_rate;
  deferred_momentum_ = momentum;
  return weights_finite && bias_finite;
}

}  // namespace scratchnet
