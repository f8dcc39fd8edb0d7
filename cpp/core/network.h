// A multilayer perceptron: dense layers with ReLU between them and a sigmoid (L2 loss) or softmax
// (cross-entropy) output. The default is the original numpy network: 784 -> 2048 -> ReLU -> 10 -> sigmoid, L2.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dense_layer.h"
#include "input_scaling.h"
#include "optimizer.h"
#include "status.h"

namespace scratchnet {

enum class OutputLoss : uint32_t {
  kSigmoidL2 = 0,            // sigmoid outputs, mean squared error against one-hot targets
  kSoftmaxCrossEntropy = 1,  // softmax outputs, cross-entropy
};
const char* output_loss_name(OutputLoss loss);  // "sigmoid-l2" / "softmax-xent"
bool parse_output_loss(const std::string& name, OutputLoss* loss);  // the names above

struct NetworkConfig {
  std::vector<int> sizes{784, 2048, 10};  // input, hidden..., output
  OutputLoss output = OutputLoss::kSigmoidL2;
  uint32_t seed = 1;
  ScalingKind scaling = ScalingKind::kAuto;  // fitted by the trainer to the training set (Network::input_scaling)
  int input_rows = 0, input_cols = 0;       // the images' shape, when known (rows·cols = sizes[0])
};

// Limits that keep a nonsense setting from exhausting memory.
constexpr int kMaxLayerSize = 16384;
constexpr int kMaxWeightLayers = 8;
constexpr size_t kMaxParameters = size_t{24} << 20;

Status validate(const NetworkConfig& config);

// The units computed for size l of a network of these sizes (0: its input): a hidden layer whose rows of weights
// would be a whole number of 4 KB apart gets kPaddingUnits more, dead ones (DenseLayer::used_out). Rows 4 KB apart
// fall into the same sets of the L1 cache, where the sparse kernels, reading a dozen rows at once, evict their own
// lines (performance.md).
constexpr int kPaddingUnits = 16;
int computed_size(const std::vector<int>& sizes, size_t l);

struct BatchResult {
  double loss = 0;
  int correct = 0;
  bool finite = true;  // false: the loss or an updated parameter is NaN/infinite
};

// The batch the next train_batch will take, when the caller knows it.
struct NextBatch {
  int size = 0;
  // [size×input], or null. The step then runs the first layer's forward on it as it writes that layer's
  // weights (DenseLayer::backward_and_step), and the next train_batch, if on these same inputs, starts from it:
  // they must stay unchanged until then, and nothing else may change the parameters in between. Inference in
  // between (forward, compute_gradients) may run: it keeps that output aside and the next train_batch takes it back.
  const float* x = nullptr;
  // Per input, non-zero where x is non-zero in some sample, or null: first-layer weights that neither batch
  // uses may then defer their step, and only the next train_batch may follow (DenseLayer::backward_and_step).
  const uint8_t* inputs_used = nullptr;
};

class Network {
 public:
  // The config must have passed validate(). Weights are He-initialised from config.seed.
  explicit Network(const NetworkConfig& config);

  const NetworkConfig& config() const { return config_; }
  int input_size() const { return config_.sizes.front(); }
  int output_size() const { return config_.sizes.back(); }
  size_t parameter_count() const;
  std::vector<DenseLayer>& layers() { return layers_; }
  const std::vector<DenseLayer>& layers() const { return layers_; }

  // Forward pass: x[B×input] -> returns the output probabilities [B×output] (valid until the next call).
  const float* forward(int B, const float* x);

  // One step of mini-batch SGD with momentum on x[B×input] with labels[B] (each < output). With `next`, the step
  // may prepare the next one (NextBatch). A step without next->inputs_used, or forward(), brings every weight up
  // to date; the const readers below (copy_parameters_to, first_layer_weights, save_model) need one first.
  BatchResult train_batch(int B, const float* x, const uint8_t* labels, const StepRule& rule,
                          const NextBatch* next = nullptr);
  // SGD with momentum at this rate.
  BatchResult train_batch(int B, const float* x, const uint8_t* labels, float learning_rate, float momentum,
                          const NextBatch* next = nullptr);
  // Inverted dropout on the hidden layers' outputs in train_batch: each unit dropped with this probability,
  // the rest scaled by 1/(1 − rate); forward() never drops. The masks come from a stream seeded by the config.
  void set_dropout(float rate);
  // Where the dropout masks' generator stands: a model saved with its state goes on with the same masks.
  std::array<uint32_t, 4> dropout_generator_state() const { return dropout_rng_.state(); }
  void set_dropout_generator_state(const std::array<uint32_t, 4>& state) { dropout_rng_.set_state(state); }
  float dropout() const { return dropout_; }
  // Label smoothing ε in train_batch and compute_gradients: the gradient pulls toward softened targets
  // (activations.h), while BatchResult::loss and loss() stay the loss against the labels themselves.
  void set_label_smoothing(float epsilon) { label_smoothing_ = epsilon; }
  float label_smoothing() const { return label_smoothing_; }

  // How the trainer turns pixels into this network's inputs (stored in the model file).
  const InputScaling& input_scaling() const { return input_scaling_; }
  void set_input_scaling(InputScaling scaling) { input_scaling_ = std::move(scaling); }
  // The first layer's input background (input_background.h; empty: none): a speed-up only, fitted by the trainer
  // to the training set and not stored in the model file.
  void set_input_background(const std::vector<float>& background);
  bool has_input_background() const { return !layers_.front().input_background.empty(); }
  // The images' [rows, cols]: as configured, else 28×28 for 784 inputs, else one row.
  int input_rows() const;
  int input_cols() const { return input_size() / input_rows(); }
  bool has_deferred_steps() const;
  void catch_up_deferred_steps();

  // The loss and every layer's weight_grad / bias_grad on x[B×input] and labels[B], changing no parameter:
  // what train_batch applies (for gradient checks).
  BatchResult compute_gradients(int B, const float* x, const uint8_t* labels);

  // Mean loss of outputs probs[B×output] against labels, for this network's loss.
  double loss(int B, const float* probs, const uint8_t* labels) const;

  // out[units × input] = the weights into the first `units` units of the first layer: what each unit looks for.
  void first_layer_weights(int units, float* out) const;

  // Copies every parameter out / back in (layer by layer: weights then bias; the used ones, parameter_count()).
  void copy_parameters_to(std::vector<float>& out) const;
  void copy_parameters_from(const std::vector<float>& in);
  // The parameters as the layers hold them, dead units included, and back: the trainer's checkpoints (a restore
  // also clears whatever a diverged step left in the padding).
  void snapshot_parameters(std::vector<float>& out) const;
  void restore_parameters(const std::vector<float>& in);
  void reset_velocities();
  // Frees gradients, momentum buffers and workspaces (the weights stay): memory for a model about to be replaced.
  void release_training_state();
  // Drops a next batch's first-layer output that a step ran (NextBatch::x): the next train_batch computes it.
  void forget_next_forward();

 private:
  // Forward, loss and backward; with a step, each layer's parameters are updated as its backward pass
  // ends (so weight gradients are never stored), without one the gradients are kept.
  BatchResult forward_and_backward(int B, const float* x, const uint8_t* labels, const StepRule* step,
                                   const NextBatch* next = nullptr);
  // With `training`, hidden outputs go through dropout.
  const float* forward_pass(int B, const float* x, bool training = false);
  // Dropout on B rows of a hidden layer's outputs, the used units only (the dead ones are zero).
  void drop_units(int B, const DenseLayer& layer, float* activations);
  void ensure_forward_workspace(int B);
  void ensure_training_workspace(int B);

  NetworkConfig config_;
  std::vector<DenseLayer> layers_;
  int forward_batch_ = 0, training_batch_ = 0;  // the batch sizes the workspaces hold
  const float* layer_input(size_t l) const { return l == 0 ? input_ : activations_[l].data(); }

  const float* input_ = nullptr;          // the batch given to the last forward(), [B×input]
  // The inputs whose first-layer output activations_[1] holds already (run by the last step), or null.
  const float* first_layer_ran_on_ = nullptr;
  int first_layer_ran_batch_ = 0;
  // That output, set aside when an inference needs activations_[1] before the next train_batch takes it.
  FloatBuffer first_layer_held_;
  bool first_layer_is_held_ = false;
  std::vector<FloatBuffer> activations_;  // [layer + 1][B×size]: (unused), hidden outputs, probabilities
  FloatBuffer logits_;                    // [B×output] before the output activation
  FloatBuffer grad_a_, grad_b_;           // [B×max size]: dL/d(layer output), ping-pong
  FloatBuffer scratch_;                   // transposes
  InputScaling input_scaling_;
  float dropout_ = 0.f;
  float label_smoothing_ = 0.f;
  Rng dropout_rng_;
};

// Index of the largest of n scores.
int argmax(const float* scores, int n);

}  // namespace scratchnet
