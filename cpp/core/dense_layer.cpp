#include "dense_layer.h"

#include <algorithm>
#include <cmath>

#include "input_background.h"
#include "kernels.h"

namespace scratchnet {

namespace {
// Grows a workspace to hold `size` floats (it never shrinks: a training batch allocates nothing).
void ensure_size(FloatBuffer& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
}
}  // namespace

DenseLayer::DenseLayer(int in_size, int out_size, int used_in_size, int used_out_size)
    : in(in_size),
      out(out_size),
      used_in(used_in_size > 0 ? used_in_size : in_size),
      used_out(used_out_size > 0 ? used_out_size : out_size),
      weights(static_cast<size_t>(in_size) * out_size),
      bias(out_size) {}

void DenseLayer::ensure_gradients() {
  if (weight_grad.empty()) weight_grad.assign(weights.size(), 0.f);
  if (bias_grad.empty()) bias_grad.assign(bias.size(), 0.f);
}

void DenseLayer::ensure_state(OptimizerKind kind) {
  if (kind != state_kind && !weight_velocity.empty()) {
    // Another optimizer's state means nothing to this one: start afresh (settling what SGD owed first).
    catch_up_deferred_steps();
    for (auto* buffer : {&weight_velocity, &bias_velocity, &weight_second, &bias_second}) FloatBuffer().swap(*buffer);
    reset_velocity();
  }
  state_kind = kind;
  lr_history_.reserve(kMaxPendingSteps);  // a training batch allocates nothing
  adam_history_.reserve(kMaxPendingSteps);
  if (weight_velocity.empty()) weight_velocity.assign(weights.size(), 0.f);
  if (bias_velocity.empty()) bias_velocity.assign(bias.size(), 0.f);
  if (kind != OptimizerKind::kSgd) {
    if (weight_second.empty()) weight_second.assign(weights.size(), 0.f);
    if (bias_second.empty()) bias_second.assign(bias.size(), 0.f);
  }
  if (bias_grad.empty()) bias_grad.assign(bias.size(), 0.f);  // the bias gradient is small: the step still stores it
}

std::vector<FloatBuffer*> DenseLayer::optimizer_state(OptimizerKind kind) {
  ensure_state(kind);
  catch_up_deferred_steps();
  if (kind == OptimizerKind::kSgd) return {&weight_velocity, &bias_velocity};
  return {&weight_velocity, &bias_velocity, &weight_second, &bias_second};
}

std::vector<const FloatBuffer*> DenseLayer::optimizer_state_if_any(OptimizerKind kind) const {
  auto held = [&](const FloatBuffer& buffer) { return kind == state_kind && !buffer.empty() ? &buffer : nullptr; };
  if (kind == OptimizerKind::kSgd) return {held(weight_velocity), held(bias_velocity)};
  return {held(weight_velocity), held(bias_velocity), held(weight_second), held(bias_second)};
}

void DenseLayer::release_training_buffers() {
  catch_up_deferred_steps();
  for (auto* buffer : {&weight_grad, &bias_grad, &weight_velocity, &bias_velocity, &weight_second, &bias_second})
    FloatBuffer().swap(*buffer);
  std::vector<uint32_t>().swap(deferred_steps);
  lr_history_.clear();
  adam_history_.clear();
}

void DenseLayer::reset_velocity() {
  for (auto* buffer : {&weight_velocity, &bias_velocity, &weight_second, &bias_second})
    std::fill(buffer->begin(), buffer->end(), 0.f);
  std::fill(deferred_steps.begin(), deferred_steps.end(), 0u);  // with v = 0 they would not move w
  has_deferred_ = false;
  lr_history_.clear();
  adam_history_.clear();
}

bool DenseLayer::rates_changed_while_deferring(float learning_rate) const {
  for (float rate : lr_history_)
    if (rate != learning_rate) return true;
  return false;
}

void DenseLayer::fill_deferred_tables(float momentum) {
  // A row owing p steps, taken at the rates h[p-1] (oldest) … h[0] (latest) with zero gradients, then this
  // step: v ← μ^(p+1)·v + g,  w ← w − A[p]·v_before − lr·v, where A[p] = Σ_i h[p-i]·μ^i = μ·(h[p-1] + A[p-1]).
  const double mu = momentum;
  double owed = 0.0, decay = mu;
  decay_table_[0] = momentum;
  catch_up_table_[0] = 0.f;
  for (size_t p = 1; p <= kMaxPendingSteps; ++p) {
    const double rate = p <= lr_history_.size() ? lr_history_[p - 1] : 0.0;  // no row owes more than the history
    owed = mu * (rate + owed);
    decay *= mu;
    decay_table_[p] = static_cast<float>(decay);
    catch_up_table_[p] = static_cast<float>(owed);
  }
}

void DenseLayer::fill_adam_deferred_tables(float beta1, float beta2) {
  // A row owing p steps, taken as h[p-1] (oldest) … h[0] (latest):  P[p] = P[p-1]·f(h[p-1]),
  // C[p] = r·(s(h[p-1])·P[p-1] + C[p-1]) with r = β1/√β2 (each later owed step one power of r further on).
  const double r = beta1 / std::sqrt(static_cast<double>(beta2));
  double shrink = 1.0, owed = 0.0, first_decay = beta1, second_decay = beta2;
  decay_table_[0] = 1.f;
  catch_up_table_[0] = 0.f;
  first_moment_decay_table_[0] = beta1;
  second_moment_decay_table_[0] = beta2;
  for (size_t p = 1; p <= kMaxPendingSteps; ++p) {
    const OwedAdamStep step = p <= adam_history_.size() ? adam_history_[p - 1] : OwedAdamStep{0.f, 1.f};
    owed = r * (step.step_size * shrink + owed);
    shrink *= step.shrink;
    first_decay *= beta1;
    second_decay *= beta2;
    decay_table_[p] = static_cast<float>(shrink);
    catch_up_table_[p] = static_cast<float>(owed);
    first_moment_decay_table_[p] = static_cast<float>(first_decay);
    second_moment_decay_table_[p] = static_cast<float>(second_decay);
  }
}

void DenseLayer::catch_up_deferred_steps() {
  if (!has_deferred_) return;
  has_deferred_ = false;
  if (state_kind != OptimizerKind::kSgd) {
    // Adam's owed steps (kernels.h): w ← P[p]·w − C[p]·m/(√v + ε),  m ← β1^p·m,  v ← β2^p·v.
    fill_adam_deferred_tables(deferred_beta1_, deferred_beta2_);
    for (int row = 0; row < in; ++row) {
      uint32_t& pending = deferred_steps[row];
      if (pending == 0) continue;
      const float shrink = decay_table_[pending], owed = catch_up_table_[pending];
      const float first_decay = first_moment_decay_table_[pending - 1], second_decay = second_moment_decay_table_[pending - 1];
      pending = 0;
      const size_t begin = static_cast<size_t>(row) * out;
      for (size_t i = begin; i < begin + out; ++i) {
        float& m = weight_velocity[i];
        float& v = weight_second[i];
        weights[i] = shrink * weights[i] - owed * m / (std::sqrt(v) + deferred_epsilon_);
        m *= first_decay;
        v *= second_decay;
      }
    }
    adam_history_.clear();
    return;
  }
  const bool varied = rates_changed_while_deferring(deferred_lr_);
  if (varied) fill_deferred_tables(deferred_momentum_);
  for (int row = 0; row < in; ++row) {
    uint32_t& pending = deferred_steps[row];
    if (pending == 0) continue;
    float* w = weights.data() + static_cast<size_t>(row) * out;
    float* v = weight_velocity.data() + static_cast<size_t>(row) * out;
    if (varied) {
      // p owed steps at the rates they were owed under: v ← μ^p·v, w ← w − A[p]·v_before.
      const float decay = decay_table_[pending - 1], catch_up = catch_up_table_[pending];
      pending = 0;
      for (int j = 0; j < out; ++j) {
        const float before = v[j];
        v[j] = decay * before;
        w[j] = w[j] - catch_up * before;
      }
      continue;
    }
    // p owed steps = p − 1 of them caught up, then one with a zero gradient (kernels.h).
    float decay, catch_up;
    deferred_step_coefficients(pending - 1, deferred_lr_, deferred_momentum_, &decay, &catch_up);
    pending = 0;
    for (int j = 0; j < out; ++j) {
      const float before = v[j];
      v[j] = decay * before;
      w[j] = w[j] - catch_up * before - deferred_lr_ * v[j];
    }
  }
  lr_history_.clear();
}

void DenseLayer::init_he(Rng& rng) {
  const float stddev = std::sqrt(2.f / static_cast<float>(used_in));
  std::fill(weights.begin(), weights.end(), 0.f);
  for (int k = 0; k < used_in; ++k)
    for (int j = 0; j < used_out; ++j) weights[static_cast<size_t>(k) * out + j] = stddev * rng.normal();
  std::fill(bias.begin(), bias.end(), 0.f);
  reset_velocity();
}

void DenseLayer::set_input_background(const std::vector<float>& background) {
  catch_up_deferred_steps();
  input_background.assign(background.begin(), background.end());
}

void DenseLayer::forward_around_background(int B, const float* x, float* y, bool relu) const {
  ensure_size(around_background_, static_cast<size_t>(B + 1) * in);
  ensure_size(background_outputs_, static_cast<size_t>(B + 1) * out);
  // [x − c; c]·W in one product: c·W is one more row of it, which the kernels run with the batch's.
  split_off_background(B, in, x, input_background.data(), around_background_.data());
  f32_gemm(B + 1, in, out, around_background_.data(), weights.data(), nullptr, background_outputs_.data());
  finish_forward_around_background(B, y, relu);
}

void DenseLayer::finish_forward_around_background(int B, float* y, bool relu) const {
  ensure_size(background_output_, out);
  const float* c_times_w = background_outputs_.data() + static_cast<size_t>(B) * out;
  add_row_to_rows(1, out, c_times_w, bias.data(), background_output_.data(), false);
  add_row_to_rows(B, out, background_outputs_.data(), background_output_.data(), y, relu);
}

void DenseLayer::forward(int B, const float* x, float* y, bool relu) const {
  if (!input_background.empty()) return forward_around_background(B, x, y, relu);
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
  StepRule rule;
  rule.learning_rate = learning_rate;
  rule.momentum = momentum;
  return backward_and_step(B, x, dy, dx, scratch, rule, x_through_relu, inputs_read_next, next_forward);
}

bool DenseLayer::backward_and_step(int B, const float* x, const float* dy, float* dx, float* scratch,
                                   const StepRule& rule, bool x_through_relu, const uint8_t* inputs_read_next,
                                   const NextForward* next_forward) {
  ensure_state(rule.optimizer);
  if (dx) input_gradient(B, dy, dx, scratch, x_through_relu ? x : nullptr);  // before the weights move
  // The bias first: a next forward starts from it.
  f32_column_sums(B, out, dy, bias_grad.data());
  bool bias_finite;
  if (rule.optimizer == OptimizerKind::kSgd) {
    bias_finite = f32_momentum_step(bias.size(), bias.data(), bias_velocity.data(), bias_grad.data(),
                                    rule.learning_rate, rule.momentum);
  } else {
    AdamRule bias_rule{rule.learning_rate, rule.beta1, rule.beta2, rule.epsilon, 0.f,
                       rule.optimizer == OptimizerKind::kAdamW, rule.t};
    bias_finite =
        f32_adam_step(bias.size(), bias.data(), bias_velocity.data(), bias_second.data(), bias_grad.data(), bias_rule);
  }
  const bool around = !input_background.empty();
  NextForward next_around;
  if (around) {
    // xᵀ·dy = [x − c; c]ᵀ·[dy; Σ dy]: one more row of each, whose zeros the kernels skip; the next forward,
    // [x − c; c]·W as the step writes W, finished after it.
    ensure_size(around_background_, static_cast<size_t>(B + 1) * in);
    ensure_size(background_gradients_, static_cast<size_t>(B + 1) * out);
    split_off_background(B, in, x, input_background.data(), around_background_.data());
    rows_then_row(B, out, dy, bias_grad.data(), background_gradients_.data());
    x = around_background_.data();
    dy = background_gradients_.data();
    ++B;
    if (next_forward) {
      const int rows = next_forward->batch + 1;
      ensure_size(next_around_background_, static_cast<size_t>(rows) * in);
      ensure_size(background_outputs_, static_cast<size_t>(rows) * out);
      split_off_background(next_forward->batch, in, next_forward->x, input_background.data(),
                           next_around_background_.data());
      next_around = NextForward{rows, next_around_background_.data(), background_outputs_.data(), true};
    }
  }
  const NextForward* fused_forward = around && next_forward ? &next_around : next_forward;
  const bool weights_finite = rule.optimizer == OptimizerKind::kSgd
                                  ? sgd_step(B, x, dy, rule, inputs_read_next, fused_forward)
                                  : adam_step(B, x, dy, rule, inputs_read_next, fused_forward);
  if (around && next_forward) finish_forward_around_background(next_forward->batch, next_forward->y, /*relu=*/true);
  return weights_finite && bias_finite;
}

DeferredSteps DenseLayer::start_deferral(bool may_defer, const uint8_t* inputs_read_next) {
  DeferredSteps deferral{nullptr, may_defer ? inputs_read_next : nullptr};
  if (may_defer || has_deferred_) {
    deferred_steps.resize(in, 0u);
    deferral.pending = deferred_steps.data();
  }
  return deferral;
}

bool DenseLayer::adam_step(int B, const float* x, const float* dy, const StepRule& rule,
                           const uint8_t* inputs_read_next, const NextForward* next_forward) {
  const AdamRule weight_rule{rule.learning_rate, rule.beta1,        rule.beta2, rule.epsilon,
                             rule.weight_decay,  rule.optimizer == OptimizerKind::kAdamW, rule.t};
  const AdamConstants constants = adam_constants(weight_rule);
  // Owed steps are caught up under the betas they were owed under, and never with an L2 term (which moves a
  // row whose input is zero): settle them first if those changed.
  const bool deferrable = constants.l2 == 0.f && rule.beta2 >= kMinDeferringBeta2;
  if (has_deferred_ && (!deferrable || rule.beta1 != deferred_beta1_ || rule.beta2 != deferred_beta2_))
    catch_up_deferred_steps();
  const bool may_defer = inputs_read_next && deferrable && adam_history_.size() + 1 < kMaxPendingSteps;
  DeferredSteps deferral = start_deferral(may_defer, inputs_read_next);
  if (has_deferred_) {
    fill_adam_deferred_tables(rule.beta1, rule.beta2);
    deferral.decay_by_pending = decay_table_.data();
    deferral.catch_up_by_pending = catch_up_table_.data();
    deferral.first_moment_decay_by_pending = first_moment_decay_table_.data();
    deferral.second_moment_decay_by_pending = second_moment_decay_table_.data();
  }
  const DeferredSteps* deferred = deferral.pending ? &deferral : nullptr;
  const bool weights_finite =
      next_forward ? f32_gemm_adam_step_then_forward_relu(in, B, out, x, dy, weights.data(), weight_velocity.data(),
                                                          weight_second.data(), weight_rule, next_forward->batch,
                                                          next_forward->x, next_bias(next_forward), next_forward->y,
                                                          deferred, !next_forward->around_background)
                   : f32_gemm_adam_step(in, B, out, x, dy, weights.data(), weight_velocity.data(), weight_second.data(),
                                        weight_rule, deferred);
  has_deferred_ = may_defer;  // a step without deferral brought every row up to date
  deferred_beta1_ = rule.beta1;
  deferred_beta2_ = rule.beta2;
  deferred_epsilon_ = constants.epsilon;
  if (may_defer)
    adam_history_.insert(adam_history_.begin(), OwedAdamStep{constants.step_size, constants.shrink});
  else
    adam_history_.clear();
  return weights_finite;
}

bool DenseLayer::sgd_step(int B, const float* x, const float* dy, const StepRule& rule, const uint8_t* inputs_read_next,
                          const NextForward* next_forward) {
  const float learning_rate = rule.learning_rate, momentum = rule.momentum, weight_decay = rule.weight_decay;
  // Owed steps are caught up in closed form under this step's momentum, and with no decay (which moves a row
  // whose input is zero): settle them first if those changed.
  if (has_deferred_ && (momentum != deferred_momentum_ || weight_decay != 0.f)) catch_up_deferred_steps();
  const bool may_defer = inputs_read_next && weight_decay == 0.f && lr_history_.size() + 1 < kMaxPendingSteps;
  DeferredSteps deferral = start_deferral(may_defer, inputs_read_next);
  if (has_deferred_ && rates_changed_while_deferring(learning_rate)) {
    fill_deferred_tables(momentum);
    deferral.decay_by_pending = decay_table_.data();
    deferral.catch_up_by_pending = catch_up_table_.data();
  }
  const DeferredSteps* deferred = deferral.pending ? &deferral : nullptr;
  const bool weights_finite =
      next_forward ? f32_gemm_momentum_step_then_forward_relu(in, B, out, x, dy, weights.data(), weight_velocity.data(),
                                                              learning_rate, momentum, deferred, next_forward->batch,
                                                              next_forward->x, next_bias(next_forward), next_forward->y,
                                                              weight_decay, !next_forward->around_background)
                   : f32_gemm_momentum_step(in, B, out, x, dy, weights.data(), weight_velocity.data(), learning_rate,
                                            momentum, deferred, weight_decay);
  has_deferred_ = may_defer;  // a step without deferral brought every row up to date
  deferred_lr_ = learning_rate;
  deferred_momentum_ = momentum;
  if (may_defer)
    lr_history_.insert(lr_history_.begin(), learning_rate);
  else
    lr_history_.clear();
  return weights_finite;
}

}  // namespace scratchnet
