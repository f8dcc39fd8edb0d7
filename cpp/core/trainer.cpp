#include "trainer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "input_background.h"
#include "memory_budget.h"
#include "model_file.h"
#include "number_text.h"
#include "parallel.h"

namespace scratchnet {

namespace {
constexpr int kCheckpointInterval = 100;       // batches between snapshots of the parameters within a call
// At the start of a call, if this many batches ran since the last snapshot: the page calls a few batches at a
// time, and a snapshot (a copy of every parameter) at every call would cost it a noticeable share of its speed.
constexpr int kCheckpointAtCallInterval = 30;
constexpr double kExplodedLoss = 1e4;      // a mean batch loss above this counts as divergence
constexpr int kEvalChunk = 128;  // samples per forward pass when evaluating (the fastest size, performance.md)
constexpr uint64_t kOrderStream = 0x5eedf00dULL;  // separates the shuffle stream from the init stream

// An error naming `what`, its value and its range, unless the value is finite and `in_range`.
Status check_range(const char* what, float value, bool in_range, const std::string& range) {
  if (std::isfinite(value) && in_range) return Status::Ok();
  return Status::Error(std::string(what) + " " + number_text(value) + " is out of range (" + range + ")");
}
}  // namespace

Status validate(const TrainOptions& options) {
  if (options.batch_size < 1 || options.batch_size > kMaxBatchSize)
    return Status::Error("batch size " + std::to_string(options.batch_size) + " is out of range (1 to " +
                         std::to_string(kMaxBatchSize) + ")");
  if (options.optimizer != OptimizerKind::kSgd && options.optimizer != OptimizerKind::kAdam &&
      options.optimizer != OptimizerKind::kAdamW)
    return Status::Error("unknown optimizer");
  const float rate = options.learning_rate, momentum = options.momentum, decay = options.weight_decay,
              dropout = options.dropout, beta1 = options.beta1, beta2 = options.beta2, epsilon = options.epsilon,
              smoothing = options.label_smoothing;
  for (const Status& s : {check_range("learning rate", rate, rate > 0 && rate <= kMaxLearningRate, "above 0, at most " + number_text(kMaxLearningRate)),
                          check_range("momentum", momentum, momentum >= 0 && momentum < 1, "0 to below 1"),
                          check_range("weight decay", decay, decay >= 0 && decay < 1, "0 to below 1"),
                          check_range("dropout", dropout, dropout >= 0 && dropout <= kMaxDropout, "0 to " + number_text(kMaxDropout)),
                          check_range("label smoothing", smoothing, smoothing >= 0 && smoothing < 1, "0 to below 1"),
                          check_range("beta1", beta1, beta1 >= 0 && beta1 < 1, "0 to below 1"),
                          check_range("beta2", beta2, beta2 >= 0 && beta2 < 1, "0 to below 1"),
                          check_range("epsilon", epsilon, epsilon > 0 && epsilon <= 1, "above 0, at most 1")})
    if (!s.ok()) return s;
  const Schedule& schedule = options.schedule;
  const std::string most = std::to_string(kMaxScheduleBatches);
  if (schedule.warmup_batches < 0 || schedule.warmup_batches > kMaxScheduleBatches)
    return Status::Error("warm-up of " + std::to_string(schedule.warmup_batches) + " batches is out of range");
  if (schedule.kind == ScheduleKind::kCosine &&
      (schedule.total_batches < 1 || schedule.total_batches > kMaxScheduleBatches))
    return Status::Error("a cosine schedule needs the run's length in batches (1 to " + most + "), not " +
                         std::to_string(schedule.total_batches));
  if (schedule.kind == ScheduleKind::kStep) {
    if (schedule.step_batches < 1 || schedule.step_batches > kMaxScheduleBatches)
      return Status::Error("a step schedule needs its step in batches (1 to " + most + "), not " +
                           std::to_string(schedule.step_batches));
    const float gamma = schedule.step_gamma;
    if (Status s = check_range("step gamma", gamma, gamma > 0 && gamma <= 1, "above 0, at most 1"); !s.ok()) return s;
  }
  return Status::Ok();
}

Trainer::Trainer() { create_model(NetworkConfig{}); }

namespace {
// A loaded set's bytes: its pixels and labels.
uint64_t set_bytes(const Dataset& set) { return static_cast<uint64_t>(set.size()) * (set.features() + 1); }
}  // namespace

uint64_t Trainer::data_bytes() const { return set_bytes(train_) + set_bytes(test_); }

uint64_t Trainer::model_bytes(const std::vector<int>& sizes, const TrainOptions& options) {
  return inference_bytes(sizes, std::max(options.batch_size, kEvalChunk)) +
         training_bytes(sizes, options.batch_size, options.optimizer);
}

namespace {
std::string describe_sizes(const std::vector<int>& sizes) {
  std::string text;
  for (size_t i = 0; i < sizes.size(); ++i) text += (i ? "-" : "") + std::to_string(sizes[i]);
  return text;
}
}  // namespace

Status Trainer::check_memory(const std::vector<int>& sizes, const TrainOptions& options, uint64_t data) const {
  const uint64_t model = model_bytes(sizes, options);
  if (model + data <= kCountedLimitBytes) return Status::Ok();
  return Status::Error("this network (" + describe_sizes(sizes) + ") at batch " + std::to_string(options.batch_size) +
                       " with " + optimizer_name(options.optimizer) + " needs about " + format_bytes(model) +
                       " of memory to train" + (data > 0 ? ", beside " + format_bytes(data) + " of data," : "") +
                       " where the engine can use " + format_bytes(kCountedLimitBytes) +
                       " in all (wasm32's limit): lower the batch size or the layer widths");
}

Status Trainer::check_data_memory(Split split, uint64_t bytes) const {
  const uint64_t kept = set_bytes(split == Split::kTrain ? test_ : train_);
  const uint64_t model = model_bytes(network_->config().sizes, options_);
  if (bytes + kept + model <= kCountedLimitBytes) return Status::Ok();
  return Status::Error("the data set (" + format_bytes(bytes) + ") does not fit in memory beside the model (" +
                       format_bytes(model) + " to train) and the " + (split == Split::kTrain ? "test" : "training") +
                       " set (" + format_bytes(kept) + "): the engine can use " + format_bytes(kCountedLimitBytes) +
                       " in all (wasm32's limit); load fewer images (limit)");
}

Status Trainer::check_model_fits(const Network& network, const Dataset& data, const char* which) const {
  if (data.empty()) return Status::Ok();
  if (data.features() != network.input_size())
    return Status::Error(std::string("the model takes ") + std::to_string(network.input_size()) + " inputs but the " +
                         which + " images have " + std::to_string(data.features()) + " pixels (" +
                         std::to_string(data.rows()) + "x" + std::to_string(data.cols()) + ")");
  if (data.max_label() >= network.output_size())
    return Status::Error(std::string("the ") + which + " labels go up to " + std::to_string(data.max_label()) +
                         " but the model has only " + std::to_string(network.output_size()) + " outputs");
  return Status::Ok();
}

namespace {
// Whether `test` fits a model trained on `train`: its image size, and labels the training set's classes cover.
Status check_test_fits(const Dataset& train, const Dataset& test) {
  if (train.empty() || test.empty()) return Status::Ok();
  if (test.features() != train.features())
    return Status::Error("the test images are " + std::to_string(test.rows()) + "x" + std::to_string(test.cols()) +
                         " but the training images are " + std::to_string(train.rows()) + "x" +
                         std::to_string(train.cols()));
  if (test.classes() > train.classes())
    return Status::Error("the test labels go up to " + std::to_string(test.max_label()) +
                         " but the training labels only up to " + std::to_string(train.max_label()));
  return Status::Ok();
}
}  // namespace

Status Trainer::set_data(Split split, Dataset data) {
  if (split == Split::kTest) {
    if (Status s = check_test_fits(train_, data); !s.ok()) return s;
    test_ = std::move(data);
    return Status::Ok();
  }
  train_ = std::move(data);
  if (!check_test_fits(train_, test_).ok()) test_ = Dataset();
  restart_epochs();
  if (!model_trained_) fit_input_scaling();
  fit_input_background();
  return Status::Ok();
}

void Trainer::fit_input_scaling() {
  const ScalingKind kind = network_->config().scaling;
  const bool fits = !train_.empty() && train_.features() == network_->input_size();
  network_->set_input_scaling(fits ? InputScaling::fit(kind, train_) : InputScaling::unfitted(kind, network_->input_size()));
}

void Trainer::fit_input_background() {
  network_->set_input_background(scratchnet::fit_input_background(network_->input_scaling(), train_));
}

Status Trainer::create_model(const NetworkConfig& config) {
  if (Status s = validate(config); !s.ok()) return s;
  if (Status s = check_memory(config.sizes, options_, data_bytes()); !s.ok()) return s;
  network_.reset();  // free the old model first: never two in memory at once
  network_ = std::make_unique<Network>(config);
  model_trained_ = false;
  step_ = 0;
  fit_input_scaling();
  fit_input_background();
  order_rng_.reseed(config.seed ^ kOrderStream);
  restart_epochs();
  take_checkpoint();
  return Status::Ok();
}

StepRule Trainer::step_rule() const {
  StepRule rule;
  rule.optimizer = options_.optimizer;
  rule.learning_rate = scheduled_rate(options_.schedule, options_.learning_rate, step_);
  rule.momentum = options_.momentum;
  rule.weight_decay = options_.weight_decay;
  rule.beta1 = options_.beta1;
  rule.beta2 = options_.beta2;
  rule.epsilon = options_.epsilon;
  rule.t = static_cast<uint32_t>(std::min<uint64_t>(step_ + 1, 0xffffffffu));
  return rule;
}

Status Trainer::set_options(const TrainOptions& options) {
  if (Status s = validate(options); !s.ok()) return s;
  if (Status s = check_memory(network_->config().sizes, options, data_bytes()); !s.ok()) return s;
  if (options.batch_size != options_.batch_size) forget_drawn_batch();
  options_ = options;
  // New rates are where most blow-ups start: a divergence under them comes back to the model as it is now.
  if (batches_since_checkpoint_ > 0) take_checkpoint();
  return Status::Ok();
}

void Trainer::forget_drawn_batch() {
  current_drawn_ = false;
  if (network_) network_->forget_next_forward();
}

void Trainer::restart_epochs() {
  forget_drawn_batch();
  order_.resize(train_.size());
  std::iota(order_.begin(), order_.end(), 0u);
  cursor_ = 0;
  needs_shuffle_ = true;
  epoch_ = 0;
  batch_in_epoch_ = 0;
}

void Trainer::take_checkpoint() {
  network_->catch_up_deferred_steps();  // none are owed here (see train()); this keeps it so
  network_->snapshot_parameters(checkpoint_);
  checkpoint_step_ = step_;
  batches_since_checkpoint_ = 0;
}

TrainSummary Trainer::train(int batches) {
  TrainSummary summary;
  const size_t n = train_.size();
  const int B = options_.batch_size;
  summary.batches_per_epoch = n == 0 ? 0 : static_cast<int>((n + B - 1) / B);
  if (batches < 0 || batches > kMaxTrainBatches) {
    summary.error = "batch count " + std::to_string(batches) + " is out of range (0 to " + std::to_string(kMaxTrainBatches) + ")";
    return summary;
  }
  if (n == 0) {
    summary.error = "no training data is loaded";
    return summary;
  }
  if (Status s = check_model_fits(*network_, train_, "training"); !s.ok()) {
    summary.error = s.error;
    return summary;
  }
  network_->set_dropout(options_.dropout);
  network_->set_label_smoothing(options_.label_smoothing);
  for (Batch& batch : batches_) {
    batch.x.resize(static_cast<size_t>(B) * train_.features());
    batch.labels.resize(B);
    batch.used.resize(train_.features());
  }

  // Come back to about the state the caller last saw if this call blows up; callers that train a batch at
  // a time get a snapshot every few calls, so the copy stays a small share of the work.
  if (batches_since_checkpoint_ >= kCheckpointAtCallInterval) take_checkpoint();
  summary.batch_losses.reserve(batches);
  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0;
  int64_t correct = 0;
  for (int i = 0; i < batches; ++i) {
    if (needs_shuffle_) {
      order_rng_.shuffle(order_.data(), n);
      needs_shuffle_ = false;
    }
    const int size = static_cast<int>(std::min<size_t>(B, n - cursor_));
    Batch& batch = batches_[current_];
    if (!current_drawn_) draw_batch(cursor_, size, &batch);
    // The next batch is drawn before this step when it is in this epoch (the next order is not drawn yet), and
    // the step runs its first layer's forward (Network::train_batch), also at the call's end: the next call starts
    // from it, so calls of a few batches cost about what one long call does. Which pixels the next batch uses
    // tells the step which of the first layer's rows may defer their momentum step (DenseLayer::backward_and_step);
    // not before a checkpoint or at the call's end, where every row is settled: the weights are read then.
    const size_t next_first = cursor_ + size;
    const bool next_drawn = next_first < n;
    NextBatch next;
    if (next_drawn) {
      Batch& drawn = batches_[1 - current_];
      next.size = static_cast<int>(std::min<size_t>(B, n - next_first));
      draw_batch(next_first, next.size, &drawn);
      next.x = drawn.x.data();
      if (i + 1 < batches && batches_since_checkpoint_ + 1 < kCheckpointInterval) next.inputs_used = drawn.used.data();
    }
    const StepRule rule = step_rule();
    const BatchResult result =
        network_->train_batch(size, batch.x.data(), batch.labels.data(), rule, next_drawn ? &next : nullptr);
    if (!result.finite || result.loss > kExplodedLoss) {
      network_->restore_parameters(checkpoint_);
      network_->reset_velocities();
      step_ = checkpoint_step_;
      summary.diverged = true;
      summary.error = "training diverged at epoch " + std::to_string(epoch_ + 1) + ", batch " +
                      std::to_string(batch_in_epoch_ + 1) + " (loss " + number_text(result.loss) +
                      (result.finite ? ", exploding" : ", parameters no longer finite") +
                      "); the model was rolled back " + std::to_string(batches_since_checkpoint_) +
                      " batches to its last good state. Try a lower learning rate or momentum.";
      batches_since_checkpoint_ = 0;
      forget_drawn_batch();  // the model was rolled back: the batch is drawn again
      break;
    }
    ++step_;
    model_trained_ = true;
    summary.learning_rate = rule.learning_rate;
    summary.batch_losses.push_back(static_cast<float>(result.loss));
    loss_sum += result.loss * size;
    correct += result.correct;
    cursor_ += size;
    ++batch_in_epoch_;
    ++summary.batches;
    summary.samples += size;
    if (++batches_since_checkpoint_ >= kCheckpointInterval) take_checkpoint();
    if (cursor_ == n) {  // epoch complete: the next batch starts a new, reshuffled one
      ++epoch_;
      batch_in_epoch_ = 0;
      cursor_ = 0;
      needs_shuffle_ = true;
    }
    current_ = 1 - current_;
    current_drawn_ = next_drawn;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.mean_loss = summary.samples ? loss_sum / summary.samples : 0;
  summary.accuracy = summary.samples ? static_cast<double>(correct) / summary.samples : 0;
  summary.samples_per_second = summary.seconds > 0 ? summary.samples / summary.seconds : 0;
  summary.epoch = epoch_;
  summary.batch_in_epoch = batch_in_epoch_;
  summary.step = step_;
  return summary;
}

void Trainer::draw_batch(size_t first, int size, Batch* batch) {
  const int F = train_.features();
  const uint32_t* indices = order_.data() + first;
  const InputScaling& scaling = network_->input_scaling();
  if (thread_count() == 1) {
    train_.fill_batch(indices, size, scaling, batch->x.data(), batch->labels.data(), batch->used.data());
    return;
  }
  used_by_part_.resize(static_cast<size_t>(thread_count()) * F);
  run_parts([&](int part, int parts) {
    int begin, end;
    part_range(size, part, parts, &begin, &end);
    train_.fill_batch(indices + begin, end - begin, scaling, batch->x.data() + static_cast<size_t>(begin) * F,
                      batch->labels.data() + begin, used_by_part_.data() + static_cast<size_t>(part) * F);
  });
  for (int p = 0; p < F; ++p) {
    uint8_t used = 0;
    for (int part = 0; part < thread_count(); ++part) used |= used_by_part_[static_cast<size_t>(part) * F + p];
    batch->used[p] = used;
  }
}

Evaluation Trainer::evaluate(Split split, size_t limit) {
  Evaluation result;
  const Dataset& data = this->data(split);
  if (data.empty()) {
    result.error = std::string("no ") + (split == Split::kTrain ? "training" : "test") + " data is loaded";
    return result;
  }
  if (Status s = check_model_fits(*network_, data, split == Split::kTrain ? "training" : "test"); !s.ok()) {
    result.error = s.error;
    return result;
  }
  const size_t count = limit > 0 && limit < data.size() ? limit : data.size();
  const int C = network_->output_size();
  result.classes = C;
  result.confusion.assign(static_cast<size_t>(C) * C, 0);
  FloatBuffer x(static_cast<size_t>(kEvalChunk) * data.features());
  std::vector<uint8_t> labels(kEvalChunk);
  double loss_sum = 0;
  int64_t correct = 0;
  for (size_t first = 0; first < count; first += kEvalChunk) {
    const int n = static_cast<int>(std::min<size_t>(kEvalChunk, count - first));
    data.fill_range(first, n, network_->input_scaling(), x.data(), labels.data());
    const float* probs = network_->forward(n, x.data());
    loss_sum += network_->loss(n, probs, labels.data()) * n;
    for (int b = 0; b < n; ++b) {
      const int predicted = argmax(probs + static_cast<size_t>(b) * C, C);
      correct += predicted == labels[b];
      ++result.confusion[static_cast<size_t>(labels[b]) * C + predicted];  // labels < C: check_model_fits
    }
  }
  result.count = static_cast<int>(count);
  result.loss = loss_sum / count;
  result.accuracy = static_cast<double>(correct) / count;
  return result;
}

Status Trainer::predict(const uint8_t* pixels, size_t count, std::vector<float>* scores) {
  const int F = network_->input_size();
  const int C = network_->output_size();
  // The scores (count × classes floats) beside the model and the data: in 64 bits, as count × C passes 2^32.
  const uint64_t held = data_bytes() + model_bytes(network_->config().sizes, options_);
  const uint64_t needed = static_cast<uint64_t>(count) * (static_cast<uint64_t>(C) * sizeof(float) + F);
  if (held + needed > kCountedLimitBytes)
    return Status::Error("predicting " + std::to_string(count) + " images needs about " + format_bytes(needed) +
                         " of memory for them and their " + std::to_string(C) + " scores each, beside " +
                         format_bytes(held) + " for the model and the data, where the engine can use " +
                         format_bytes(kCountedLimitBytes) + " in all (wasm32's limit): predict fewer at a time");
  scores->assign(count * C, 0.f);
  FloatBuffer x(static_cast<size_t>(kEvalChunk) * F);
  for (size_t first = 0; first < count; first += kEvalChunk) {
    const int n = static_cast<int>(std::min<size_t>(kEvalChunk, count - first));
    for (int b = 0; b < n; ++b)
      network_->input_scaling().apply(pixels + (first + b) * F, x.data() + static_cast<size_t>(b) * F, nullptr);
    const float* probs = network_->forward(n, x.data());
    std::copy(probs, probs + static_cast<size_t>(n) * C, scores->begin() + first * C);
  }
  return Status::Ok();
}

std::vector<uint8_t> Trainer::save(bool with_state) const {
  OptimizerState state;
  state.present = with_state;
  state.kind = options_.optimizer;
  state.batches = step_;
  state.seed = network_->config().seed;
  state.epochs = static_cast<uint32_t>(epoch_);
  state.samples_into_epoch = static_cast<uint32_t>(cursor_);
  state.batches_into_epoch = static_cast<uint32_t>(batch_in_epoch_);
  state.dropout_state = network_->dropout_generator_state();
  return save_model(*network_, state);
}

Status Trainer::load(const uint8_t* bytes, size_t size) {
  std::unique_ptr<Network> loaded;
  OptimizerState state;
  if (Status s = load_model(bytes, size, &loaded, &state); !s.ok()) return s;
  if (Status s = check_model_fits(*loaded, train_, "training"); !s.ok()) return Status::Error("cannot load this model: " + s.error);
  if (Status s = check_model_fits(*loaded, test_, "test"); !s.ok()) return Status::Error("cannot load this model: " + s.error);
  TrainOptions trained_as = options_;
  if (state.present) trained_as.optimizer = state.kind;
  if (Status s = check_memory(loaded->config().sizes, trained_as, data_bytes()); !s.ok())
    return Status::Error("cannot load this model: " + s.error);
  network_->release_training_state();  // before the swap: the old and new training states never both grow
  network_ = std::move(loaded);
  model_trained_ = true;
  fit_input_background();
  if (state.present) options_.optimizer = state.kind;  // trains on with the optimizer whose state it brought
  step_ = state.present ? state.batches : 0;
  restart_epochs();
  if (state.present) {
    // Go on as the saved run would have: the same shuffles, and in an unfinished epoch the samples not yet seen
    // (when the file's place in it fits this training set; else from the epoch's start).
    const bool mid_epoch = state.samples_into_epoch > 0 && state.samples_into_epoch < order_.size();
    order_rng_.reseed(state.seed ^ kOrderStream);
    const uint32_t shuffles = state.epochs + (mid_epoch ? 1 : 0);
    for (uint32_t e = 0; e < shuffles && !order_.empty(); ++e) order_rng_.shuffle(order_.data(), order_.size());
    epoch_ = static_cast<int>(state.epochs);
    if (mid_epoch) {
      needs_shuffle_ = false;
      cursor_ = state.samples_into_epoch;
      batch_in_epoch_ = static_cast<int>(state.batches_into_epoch);
    }
  }
  take_checkpoint();
  return Status::Ok();
}

}  // namespace scratchnet
