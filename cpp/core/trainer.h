// The training loop: a network, the training and test sets, the epoch order, and SGD settings.
// Everything a job needs happens here in one call (train N batches, evaluate a set), so the
// boundary to JavaScript stays coarse.
#pragma once
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dataset.h"
#include "network.h"
#include "optimizer.h"
#include "rng.h"
#include "status.h"

namespace scratchnet {

struct TrainOptions {
  int batch_size = 64;
  float learning_rate = 1.0f;  // the base rate, before the schedule
  float momentum = 0.9f;       // SGD
  OptimizerKind optimizer = OptimizerKind::kSgd;
  float weight_decay = 0.f;
  float dropout = 0.f;  // on the hidden layers
  // Softened targets, 0 to below 1 (activations.h): (1 − ε)·one-hot + ε/2 for sigmoid outputs, + ε/C for softmax.
  // The engine's default is none; the CLI's and the page's, per loss, kDefaultLabelSmoothing* below.
  float label_smoothing = 0.f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // Adam
  Schedule schedule;
};
Status validate(const TrainOptions& options);

// The training options' limits, which validate() enforces; the boundary hands them to the CLI and the page.
constexpr int kMaxBatchSize = 4096;
constexpr float kMaxLearningRate = 1000;
constexpr float kMaxDropout = 0.9f;
constexpr int kMaxScheduleBatches = 100000000;  // warm-up, a cosine's length, a step's interval
constexpr int kMaxTrainBatches = 1000000;       // per Trainer::train call

// The base learning rates that learn with the default network (docs/training.md): SGD's for each loss, and
// Adam's (and AdamW's) for both, since it follows the gradient's sign and scale rather than its size.
constexpr float kDefaultSgdRateSigmoidL2 = 2;
constexpr float kDefaultSgdRateSoftmaxCrossEntropy = 0.1f;
constexpr float kDefaultAdamRate = 0.001f;
// The label smoothing that learns best with the default network and its SGD (docs/training.md): sigmoid outputs
// pulled toward 0.1 and 0.9 rather than 0 and 1; softmax + cross-entropy untried, so none.
constexpr float kDefaultLabelSmoothingSigmoidL2 = 0.2f;
constexpr float kDefaultLabelSmoothingSoftmaxCrossEntropy = 0.f;

struct TrainSummary {
  int batches = 0;            // mini-batches run by this call
  int64_t samples = 0;        // samples seen by this call (batches × batch size passes 2^31)
  double mean_loss = 0;       // mean over this call's samples
  std::vector<float> batch_losses;  // each batch's mean loss, in order
  double accuracy = 0;        // fraction of this call's samples classified right (before each update)
  double seconds = 0;
  double samples_per_second = 0;
  float learning_rate = 0;    // the last batch's, after the schedule
  uint64_t step = 0;          // batches trained on this model in all
  int epoch = 0;              // completed epochs after this call
  int batch_in_epoch = 0;     // batches done in the current epoch
  int batches_per_epoch = 0;
  bool diverged = false;      // the run blew up: see error; the model was rolled back
  std::string error;          // empty when all went well
};

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
  int count = 0;
  int classes = 0;
  std::vector<int> confusion;  // [true label × predicted label], classes × classes
  std::string error;
};

enum class Split { kTrain, kTest };

class Trainer {
 public:
  Trainer();

  // Replaces a set. A test set must fit the training set (its image size, labels below its class count); a
  // training set that the test set does not fit unloads the test set. A model not trained yet refits its input
  // scaling to a new training set.
  Status set_data(Split split, Dataset data);
  // Whether a set of `bytes` (its images and labels) would fit in memory beside the model and the other split's
  // set: checked before the set is copied in.
  Status check_data_memory(Split split, uint64_t bytes) const;
  const Dataset& data(Split split) const { return split == Split::kTrain ? train_ : test_; }

  // A new model (He-initialised from config.seed), its input scaling fitted to the training set when one is
  // loaded; the epoch order restarts from the same seed.
  Status create_model(const NetworkConfig& config);
  const Network& network() const { return *network_; }
  // Batches trained on this model in all (kept in a model file saved with its optimizer state).
  uint64_t step() const { return step_; }

  // Takes effect from the next batch; a divergence after it rolls back to the model as it is at this call.
  Status set_options(const TrainOptions& options);
  const TrainOptions& options() const { return options_; }

  // Runs `batches` mini-batches of SGD on the training set, shuffling at each epoch's start; an epoch's
  // last batch holds the remainder. Stops early, rolling back, if the run diverges.
  TrainSummary train(int batches);

  // Loss, accuracy and confusion matrix on the first `limit` samples of a set (0: all).
  Evaluation evaluate(Split split, size_t limit);

  // Output probabilities [count × outputs] for count images given as pixels [count × inputs] (0..255).
  Status predict(const uint8_t* pixels, size_t count, std::vector<float>* scores);

  // The model file; with_state adds the optimizer's state and the step count, to train on from here.
  std::vector<uint8_t> save(bool with_state = false) const;
  // Replaces the model with a saved one (with its optimizer state and step count, if the file has them); on any
  // error the current weights stay as they were (its optimizer state is reset either way).
  Status load(const uint8_t* bytes, size_t size);

 private:
  Status check_model_fits(const Network& network, const Dataset& data, const char* which) const;
  // Whether a model of `sizes` training under `options`, with `data_bytes` of data sets loaded, fits in the memory
  // the engine can use (memory_budget.h); else an error with the figures and what to lower.
  Status check_memory(const std::vector<int>& sizes, const TrainOptions& options, uint64_t data_bytes) const;
  uint64_t data_bytes() const;  // the data sets loaded now
  // What a model of `sizes` takes to predict and to train under `options` (memory_budget.h).
  static uint64_t model_bytes(const std::vector<int>& sizes, const TrainOptions& options);
  void restart_epochs();
  void take_checkpoint();
  void fit_input_scaling();
  // The network's input background (input_background.h) for the training set under its scaling.
  void fit_input_background();
  StepRule step_rule() const;

  std::unique_ptr<Network> network_;
  Dataset train_, test_;
  TrainOptions options_;
  Rng order_rng_;
  std::vector<uint32_t> order_;
  size_t cursor_ = 0;  // next position in order_
  bool needs_shuffle_ = true;
  int epoch_ = 0;
  int batch_in_epoch_ = 0;
  std::vector<float> checkpoint_;  // parameters at the last good point, restored on divergence
  uint64_t step_ = 0, checkpoint_step_ = 0;
  bool model_trained_ = false;  // by train() or a load: its input scaling stays as it is
  int batches_since_checkpoint_ = 0;
  // Training samples drawn for a step: inputs, labels, and per pixel whether any of them uses it.
  struct Batch {
    FloatBuffer x;
    std::vector<uint8_t> labels, used;
  };
  // Draws the samples at order_[first, first + size) into `batch`, a share of them on each thread.
  void draw_batch(size_t first, int size, Batch* batch);
  Batch batches_[2];  // a step's batch and the next one, drawn before the step
  // The batch the next step trains on, batches_[current_], and whether the step before drew it (and ran the first
  // layer on it: Network::train_batch's NextBatch), maybe in the call before: calls of a few batches then cost about
  // what one long call does.
  int current_ = 0;
  bool current_drawn_ = false;
  void forget_drawn_batch();  // when what the batch or its forward came from changes
  std::vector<uint8_t> used_by_part_;  // draw_batch: each thread's share's used pixels
};

}  // namespace scratchnet
