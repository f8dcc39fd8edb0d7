#include "network.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>

#include "activations.h"

namespace scratchnet {

const char* output_loss_name(OutputLoss loss) {
  return loss == OutputLoss::kSoftmaxCrossEntropy ? "softmax-xent" : "sigmoid-l2";
}

bool parse_output_loss(const std::string& name, OutputLoss* loss) {
  if (name == "sigmoid-l2") *loss = OutputLoss::kSigmoidL2;
  else if (name == "softmax-xent") *loss = OutputLoss::kSoftmaxCrossEntropy;
  else return false;
  return true;
}

Status validate(const NetworkConfig& config) {
  const auto& sizes = config.sizes;
  if (sizes.size() < 2 || sizes.size() > kMaxWeightLayers + 1)
    return Status::Error("a network needs an input size, 0 to " + std::to_string(kMaxWeightLayers - 1) +
                         " hidden sizes and an output size; got " + std::to_string(sizes.size()) + " sizes");
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 1 || sizes[i] > kMaxLayerSize)
      return Status::Error("layer size " + std::to_string(sizes[i]) + " is out of range (1 to " +
                           std::to_string(kMaxLayerSize) + ")");
  }
  if (sizes.back() < 2) return Status::Error("the output layer needs at least 2 classes");
  if (config.output != OutputLoss::kSigmoidL2 && config.output != OutputLoss::kSoftmaxCrossEntropy)
    return Status::Error("unknown output/loss kind " + std::to_string(static_cast<uint32_t>(config.output)));
  size_t parameters = 0;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) parameters += static_cast<size_t>(sizes[i]) * sizes[i + 1] + sizes[i + 1];
  if (parameters > kMaxParameters)
    return Status::Error("the network has " + std::to_string(parameters) + " parameters; the limit is " +
                         std::to_string(kMaxParameters));
  return Status::Ok();
}

int computed_size(const std::vector<int>& sizes, size_t l) {
  const bool hidden = l > 0 && l + 1 < sizes.size();
  return hidden && sizes[l] * sizeof(float) % 4096 == 0 ? sizes[l] + kPaddingUnits : sizes[l];
}

namespace {
constexpr uint64_t kDropoutStream = 0xd40900e7ULL;  // separates the dropout masks from the init stream
}  // namespace

Network::Network(const NetworkConfig& config)
    : config_(config),
      input_scaling_(InputScaling::unfitted(config.scaling, config.sizes.front())),
      dropout_rng_(config.seed ^ kDropoutStream) {
  Rng rng(config.seed);
  const auto& sizes = config.sizes;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    layers_.emplace_back(computed_size(sizes, i), computed_size(sizes, i + 1), sizes[i], sizes[i + 1]);
    layers_.back().init_he(rng);
  }
  if (config.output == OutputLoss::kSigmoidL2) {
    // Start each sigmoid output at the class prior 1/C instead of 1/2. Otherwise the first updates all push
    // 9 of 10 outputs down at once, overshoot into the flat tail of the sigmoid and stall learning for an epoch.
    const float prior_logit = -std::log(static_cast<float>(config.sizes.back() - 1));
    std::fill(layers_.back().bias.begin(), layers_.back().bias.end(), prior_logit);
  }
}

int Network::input_rows() const {
  const int inputs = input_size();
  if (config_.input_rows > 0 && config_.input_cols > 0 && config_.input_rows * config_.input_cols == inputs)
    return config_.input_rows;
  return inputs == 784 ? 28 : 1;
}

void Network::forget_next_forward() {
  first_layer_ran_on_ = nullptr;
  first_layer_is_held_ = false;
}

void Network::set_input_background(const std::vector<float>& background) {
  forget_next_forward();  // a next batch's forward from before is recomputed around the new one
  layers_.front().set_input_background(background);
}

void Network::set_dropout(float rate) { dropout_ = rate; }

void Network::drop_units(int B, const DenseLayer& layer, float* activations) {
  // keep with probability 1 − rate: a unit is kept when 32 random bits are at least rate·2^32
  const uint32_t threshold = static_cast<uint32_t>(std::min(4294967295.0, static_cast<double>(dropout_) * 4294967296.0));
  const float keep_scale = 1.f / (1.f - dropout_);
  for (int b = 0; b < B; ++b) {
    float* row = activations + static_cast<size_t>(b) * layer.out;
    for (int j = 0; j < layer.used_out; ++j) row[j] = dropout_rng_.next_u32() >= threshold ? row[j] * keep_scale : 0.f;
  }
}

size_t Network::parameter_count() const {
  size_t total = 0;
  for (const auto& layer : layers_) total += layer.parameter_count();
  return total;
}

void Network::ensure_forward_workspace(int B) {
  if (B <= forward_batch_) return;
  forward_batch_ = B;
  activations_.resize(layers_.size() + 1);
  for (size_t i = 1; i <= layers_.size(); ++i) activations_[i].resize(static_cast<size_t>(B) * layers_[i - 1].out);
  logits_.resize(static_cast<size_t>(B) * layers_.back().out);
}

void Network::ensure_training_workspace(int B) {
  if (B <= training_batch_) return;
  training_batch_ = B;
  size_t widest = layers_.front().in;
  for (const auto& layer : layers_) widest = std::max<size_t>(widest, layer.out);
  grad_a_.resize(B * widest);
  grad_b_.resize(B * widest);
  // Transposes: every layer's input [in×B]; Wᵀ [out×in] for all but the first layer, which needs no input gradient.
  size_t scratch = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    scratch = std::max(scratch, static_cast<size_t>(layers_[l].in) * B);
    if (l > 0) scratch = std::max(scratch, static_cast<size_t>(layers_[l].in) * layers_[l].out);
  }
  scratch_.resize(scratch);
}

const float* Network::forward(int B, const float* x) {
  catch_up_deferred_steps();
  return forward_pass(B, x);
}

bool Network::has_deferred_steps() const {
  for (const auto& layer : layers_)
    if (layer.has_deferred_steps()) return true;
  return false;
}

void Network::catch_up_deferred_steps() {
  for (auto& layer : layers_) layer.catch_up_deferred_steps();
}

const float* Network::forward_pass(int B, const float* x, bool training) {
  const size_t L = layers_.size();
  const size_t first_outputs = static_cast<size_t>(first_layer_ran_batch_) * layers_.front().out;
  if (!training && first_layer_ran_on_ && !first_layer_is_held_) {
    // An inference between train() calls: the next batch's first-layer output waits aside, so that a run's
    // bits do not depend on whether anything was read between its calls.
    first_layer_held_.resize(first_outputs);
    f32_copy(first_outputs, activations_[1].data(), first_layer_held_.data());
    first_layer_is_held_ = true;
  }
  ensure_forward_workspace(B);
  input_ = x;  // read in place, not copied: the caller keeps x alive until backward is done
  const bool first_layer_ran = training && x == first_layer_ran_on_ && B == first_layer_ran_batch_;
  if (first_layer_ran && first_layer_is_held_) f32_copy(first_outputs, first_layer_held_.data(), activations_[1].data());
  if (training) forget_next_forward();
  for (size_t l = 0; l < L; ++l) {
    const DenseLayer& layer = layers_[l];
    const float* in = layer_input(l);
    if (l + 1 < L) {
      float* out = activations_[l + 1].data();
      if (l > 0 || !first_layer_ran) layer.forward(B, in, out, /*relu=*/true);
      if (training && dropout_ > 0.f) drop_units(B, layer, out);
    } else {
      layer.forward(B, in, logits_.data());
      float* probs = activations_[L].data();
      if (config_.output == OutputLoss::kSigmoidL2)
        sigmoid_forward(static_cast<size_t>(B) * layer.out, logits_.data(), probs);
      else
        softmax_forward(B, layer.out, logits_.data(), probs);
    }
  }
  return activations_[L].data();
}

double Network::loss(int B, const float* probs, const uint8_t* labels) const {
  return config_.output == OutputLoss::kSigmoidL2 ? l2_loss(B, output_size(), probs, labels)
                                                  : cross_entropy_loss(B, output_size(), probs, labels);
}

BatchResult Network::train_batch(int B, const float* x, const uint8_t* labels, const StepRule& rule,
                                 const NextBatch* next) {
  return forward_and_backward(B, x, labels, &rule, next);
}

BatchResult Network::train_batch(int B, const float* x, const uint8_t* labels, float learning_rate, float momentum,
                                 const NextBatch* next) {
  StepRule rule;
  rule.learning_rate = learning_rate;
  rule.momentum = momentum;
  return forward_and_backward(B, x, labels, &rule, next);
}

BatchResult Network::compute_gradients(int B, const float* x, const uint8_t* labels) {
  return forward_and_backward(B, x, labels, nullptr);
}

BatchResult Network::forward_and_backward(int B, const float* x, const uint8_t* labels, const StepRule* step,
                                          const NextBatch* next) {
  BatchResult result;
  ensure_training_workspace(B);
  if (!step) catch_up_deferred_steps();  // gradients are taken at the weights as they stand
  // Deferred rows are ones this batch does not read: the forward pass is exact without their steps.
  const float* probs = forward_pass(B, x, /*training=*/step != nullptr);
  const int C = output_size();
  const size_t L = layers_.size();
  for (int b = 0; b < B; ++b) result.correct += argmax(probs + static_cast<size_t>(b) * C, C) == labels[b];

  // dL/dlogits into grad_out.
  float* grad_out = grad_a_.data();
  float* grad_in = grad_b_.data();
  if (config_.output == OutputLoss::kSigmoidL2) {
    result.loss = l2_loss_forward_backward(B, C, probs, labels, grad_in, label_smoothing_);
    sigmoid_backward(static_cast<size_t>(B) * C, probs, grad_in, grad_out);
  } else {
    result.loss = softmax_cross_entropy_forward_backward(B, C, logits_.data(), labels, activations_[L].data(), grad_out,
                                                         label_smoothing_);
  }
  if (!std::isfinite(result.loss)) {
    result.finite = false;
    return result;  // no update from a broken loss
  }

  // The first layer's step may run the next batch's forward through it: its input, activations_[1], is free
  // once the layer above has stepped. (A one-layer network's first layer is the output layer: no ReLU.)
  std::optional<NextForward> next_forward;
  if (step && next && next->x && L > 1) {
    ensure_forward_workspace(next->size);
    next_forward = NextForward{next->size, next->x, activations_[1].data()};
  }
  for (size_t l = L; l-- > 0;) {
    DenseLayer& layer = layers_[l];
    const float* layer_input = this->layer_input(l);
    // Below every layer but the first is the ReLU that produced its input: the input gradient goes through it.
    float* input_grad = l > 0 ? grad_in : nullptr;
    if (step)
      result.finite &= layer.backward_and_step(B, layer_input, grad_out, input_grad, scratch_.data(), *step,
                                               /*x_through_relu=*/true, l == 0 && next ? next->inputs_used : nullptr,
                                               l == 0 && next_forward ? &*next_forward : nullptr);
    else
      layer.backward(B, layer_input, grad_out, input_grad, scratch_.data(), /*x_through_relu=*/true);
    // Through the dropout above this layer's input: the dropped units' gradients are zero already (their
    // outputs are, and the ReLU's backward masks by them); the kept ones were scaled.
    if (input_grad && step && dropout_ > 0.f) {
      const float keep_scale = 1.f / (1.f - dropout_);
      for (size_t i = 0, n = static_cast<size_t>(B) * layer.in; i < n; ++i) input_grad[i] *= keep_scale;
    }
    if (input_grad) std::swap(grad_in, grad_out);
  }
  if (next_forward && result.finite) {
    first_layer_ran_on_ = next_forward->x;
    first_layer_ran_batch_ = next_forward->batch;
  }
  return result;
}

void Network::first_layer_weights(int units, float* out) const {
  const DenseLayer& first = layers_.front();
  for (int unit = 0; unit < units; ++unit)
    for (int input = 0; input < first.in; ++input)
      out[static_cast<size_t>(unit) * first.in + input] = first.weights[static_cast<size_t>(input) * first.out + unit];
}

void Network::copy_parameters_to(std::vector<float>& out) const {
  out.resize(parameter_count());
  float* to = out.data();
  for (const auto& layer : layers_) {
    for (int k = 0; k < layer.used_in; ++k, to += layer.used_out)
      std::copy_n(layer.weights.data() + static_cast<size_t>(k) * layer.out, layer.used_out, to);
    to = std::copy_n(layer.bias.data(), layer.used_out, to);
  }
}

void Network::copy_parameters_from(const std::vector<float>& in) {
  forget_next_forward();
  const float* from = in.data();
  for (auto& layer : layers_) {
    for (int k = 0; k < layer.used_in; ++k, from += layer.used_out)
      std::copy_n(from, layer.used_out, layer.weights.data() + static_cast<size_t>(k) * layer.out);
    std::copy_n(from, layer.used_out, layer.bias.data());
    from += layer.used_out;
  }
}

void Network::snapshot_parameters(std::vector<float>& out) const {
  size_t total = 0;
  for (const auto& layer : layers_) total += layer.weights.size() + layer.bias.size();
  out.resize(total);  // a checkpoint's buffer keeps its size from one snapshot to the next
  float* to = out.data();
  for (const auto& layer : layers_)
    for (const FloatBuffer* part : {&layer.weights, &layer.bias}) {
      f32_copy(part->size(), part->data(), to);
      to += part->size();
    }
}

void Network::restore_parameters(const std::vector<float>& in) {
  forget_next_forward();
  const float* from = in.data();
  for (auto& layer : layers_)
    for (FloatBuffer* part : {&layer.weights, &layer.bias}) {
      f32_copy(part->size(), from, part->data());
      from += part->size();
    }
}

void Network::release_training_state() {
  forget_next_forward();
  FloatBuffer().swap(first_layer_held_);
  for (auto& layer : layers_) layer.release_training_buffers();
  for (auto* buffer : {&grad_a_, &grad_b_, &scratch_}) FloatBuffer().swap(*buffer);
  training_batch_ = 0;
}

void Network::reset_velocities() {
  for (auto& layer : layers_) layer.reset_velocity();
}

int argmax(const float* scores, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (scores[i] > scores[best]) best = i;
  return best;
}

}  // namespace scratchnet
