// The whole JavaScript boundary of the engine, and the only C++ that includes Emscripten headers: plain C functions
// that web/src/engine/engine.js calls, one coarse call per job, on an engine made by scratchnet_new (a pointer: a
// module holds as many engines as JS makes).
//
// Arguments are numbers and pointers into wasm memory that engine.js writes and frees: a byte array as a pointer and
// a length, a string as a pointer to its UTF-8 length (32 bits) and bytes, null when not given. engine.js checks
// the arguments' types (a number that is not one comes as NaN, a string that is not one as ""); every range
// check is here. Each call answers with a Reply in wasm memory, which engine.js copies out before its next call.
// No C++ exception crosses: the core returns a Status, and each check here returns its message.
#include <emscripten/emscripten.h>
#include <emscripten/heap.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "trainer.h"

namespace scratchnet {
namespace {

// What a call answers (every field 32 bits, in this order: engine.js reads it as eight Uint32s).
struct Reply {
  const char* error;  // the failure's message, UTF-8; error_size 0 on success
  uint32_t error_size;
  const char* fields;  // the result's fields, one a line: see Answer
  uint32_t fields_size;
  const double* numbers;
  uint32_t number_count;
  const void* data;  // the result's one array of float32s or bytes
  uint32_t data_size;  // in bytes
};
static_assert(sizeof(Reply) == 8 * sizeof(uint32_t), "engine.js reads a Reply as eight Uint32s");

// Builds a Reply. Its field lines, in the result's order: "name" takes the next number, "name?" the next as a
// boolean, "name*N" the next N numbers as an array, "name=text" is a string, "name@" the data as a Float32Array,
// "name#" the data as a Uint8Array; a dotted name is a field of a nested object ("model.seed").
class Answer {
 public:
  void clear() {
    error_.clear();
    fields_.clear();
    numbers_.clear();
    floats_ = {};
    bytes_ = {};
  }
  void number(const std::string& name, double value) {
    line(name, "");
    numbers_.push_back(value);
  }
  void flag(const std::string& name, bool value) {
    line(name, "?");
    numbers_.push_back(value);
  }
  void text(const std::string& name, const std::string& value) { line(name, "=" + value); }
  template <class T>
  void array(const std::string& name, const std::vector<T>& values) {
    line(name, "*" + std::to_string(values.size()));
    numbers_.insert(numbers_.end(), values.begin(), values.end());
  }
  void floats(const std::string& name, std::vector<float> values) {
    line(name, "@");
    floats_ = std::move(values);
  }
  void bytes(const std::string& name, std::vector<uint8_t> values) {
    line(name, "#");
    bytes_ = std::move(values);
  }
  void set_error(const std::string& message) { error_ = message; }
  // A failure alone: its message, no fields.
  const Reply* fail(const std::string& message) {
    clear();
    error_ = message;
    return reply();
  }
  const Reply* reply() {
    const bool has_floats = !floats_.empty();
    reply_ = Reply{error_.data(), static_cast<uint32_t>(error_.size()), fields_.data(), static_cast<uint32_t>(fields_.size()),
                   numbers_.data(), static_cast<uint32_t>(numbers_.size()),
                   has_floats ? static_cast<const void*>(floats_.data()) : bytes_.data(),
                   static_cast<uint32_t>(has_floats ? floats_.size() * sizeof(float) : bytes_.size())};
    return &reply_;
  }

 private:
  void line(const std::string& name, const std::string& rest) {
    fields_ += name;
    fields_ += rest;
    fields_ += '\n';
  }
  std::string error_, fields_;
  std::vector<double> numbers_;
  std::vector<float> floats_;
  std::vector<uint8_t> bytes_;
  Reply reply_{};
};

bool is_whole(double v, double lo, double hi) { return v >= lo && v <= hi && v == std::floor(v); }

// A string argument: its 32-bit length, then its UTF-8 bytes; null when not given (read as "").
bool given(const uint8_t* text) { return text != nullptr; }
std::string text_arg(const uint8_t* text) {
  if (!given(text)) return std::string();
  uint32_t size;
  std::memcpy(&size, text, sizeof size);
  return std::string(reinterpret_cast<const char*>(text + sizeof size), size);
}

// A byte array's length, given as a number; past size_t (no array that large fits in wasm32) it reads as the most.
size_t length_arg(double length) { return length < static_cast<double>(SIZE_MAX) ? static_cast<size_t>(length) : SIZE_MAX; }

// Reads an optional numeric argument: the fallback if not given; *error is set if given but not a finite number.
double number_arg(const double* values, uint32_t given_mask, int index, const char* name, double fallback, std::string* error) {
  if (!(given_mask >> index & 1)) return fallback;
  if (!std::isfinite(values[index])) {
    *error = std::string(name) + " must be a finite number";
    return fallback;
  }
  return values[index];
}

// Reads an optional string argument naming one of a kind's values: true if not given, or named and parsed into *out.
template <class Kind>
bool choice_arg(const uint8_t* text, bool (*parse)(const std::string&, Kind*), Kind* out) {
  return !given(text) || parse(text_arg(text), out);
}

bool parse_split(const std::string& name, Split* split) {
  if (name == "train") *split = Split::kTrain;
  else if (name == "test") *split = Split::kTest;
  else return false;
  return true;
}

// The training options as fields, all but the learning rate and the label smoothing (info() gives the ones in use,
// defaults() one for each loss).
void training_fields(Answer& into, const std::string& prefix, const TrainOptions& options) {
  into.number(prefix + "batchSize", options.batch_size);
  into.number(prefix + "momentum", options.momentum);
  into.text(prefix + "optimizer", optimizer_name(options.optimizer));
  into.number(prefix + "weightDecay", options.weight_decay);
  into.number(prefix + "dropout", options.dropout);
  into.number(prefix + "beta1", options.beta1);
  into.number(prefix + "beta2", options.beta2);
  into.number(prefix + "epsilon", options.epsilon);
  into.text(prefix + "schedule", schedule_name(options.schedule.kind));
  into.number(prefix + "warmupBatches", options.schedule.warmup_batches);
  into.number(prefix + "scheduleBatches", options.schedule.total_batches);
  into.number(prefix + "stepBatches", options.schedule.step_batches);
  into.number(prefix + "stepGamma", options.schedule.step_gamma);
}

// setOptions' numeric options, in the order of engine.js's OPTION_NUMBERS; bit i of the mask: option i given.
enum OptionNumber {
  kBatchSize, kLearningRate, kMomentum, kWeightDecay, kDropout, kBeta1, kBeta2, kEpsilon, kWarmupBatches,
  kScheduleBatches, kStepBatches, kStepGamma, kLabelSmoothing,
};

class Engine {
 public:
  // loadData in two calls, so that the set is in wasm memory once: stage_data checks the split, the limit, the
  // files' headers (their first bytes) and lengths, and the memory, lets go of the training set it replaces, and
  // answers where engine.js is to copy the files ({images, labels}: addresses); load_data then reads them.
  const Reply* stage_data(const uint8_t* split_name, const uint8_t* images_head, double images_length,
                          const uint8_t* labels_head, double labels_length, double limit) {
    answer_.clear();
    staged_images_ = {};
    staged_labels_ = {};
    const std::string name = text_arg(split_name);
    if (!parse_split(name, &staged_split_)) return answer_.fail("split must be 'train' or 'test', not '" + name + "'");
    if (!(limit >= 0)) return answer_.fail("limit must be 0 (all) or a positive count");
    const std::string which = staged_split_ == Split::kTrain ? "training data: " : "test data: ";
    // Check the headers first, then let go of the set this split holds, so that the old and the new set
    // (47 MB each for MNIST's training images) are never in wasm memory at once: it never shrinks.
    const size_t images_size = length_arg(images_length), labels_size = length_arg(labels_length);
    if (Status s = Dataset::check_headers(images_head, images_size, labels_head, labels_size); !s.ok())
      return answer_.fail(which + s.error);
    if (Status s = trainer_.check_data_memory(staged_split_, static_cast<uint64_t>(images_size) + labels_size); !s.ok())
      return answer_.fail(which + s.error);
    // A training set is let go first (the large one); a test set only once the new one is known to fit.
    if (staged_split_ == Split::kTrain) trainer_.set_data(staged_split_, Dataset());
    staged_limit_ = static_cast<size_t>(limit);
    staged_images_.resize(images_size);
    staged_labels_.resize(labels_size);
    answer_.number("images", reinterpret_cast<uintptr_t>(staged_images_.data()));
    answer_.number("labels", reinterpret_cast<uintptr_t>(staged_labels_.data()));
    return answer_.reply();
  }

  // -> {count, rows, cols, classes}
  const Reply* load_data() {
    answer_.clear();
    const std::string which = staged_split_ == Split::kTrain ? "training data: " : "test data: ";
    Dataset data;
    Status s = Dataset::from_idx(std::move(staged_images_), std::move(staged_labels_), staged_limit_, &data);
    staged_images_ = {};
    staged_labels_ = {};
    if (!s.ok()) return answer_.fail(which + s.error);
    answer_.number("count", static_cast<double>(data.size()));
    answer_.number("rows", data.rows());
    answer_.number("cols", data.cols());
    answer_.number("classes", data.classes());
    if (Status s = trainer_.set_data(staged_split_, std::move(data)); !s.ok()) return answer_.fail(which + s.error);
    return answer_.reply();
  }

  // sizes[size_count] (null: the default sizes), output and scaling names (null: the defaults), the seed if given.
  const Reply* create_model(const double* sizes, int size_count, const uint8_t* output, const uint8_t* scaling,
                            double seed, int seed_given) {
    answer_.clear();
    NetworkConfig parsed;
    if (sizes != nullptr) {
      parsed.sizes.clear();
      if (size_count > kMaxWeightLayers + 1)
        return answer_.fail("too many layers (at most " + std::to_string(kMaxWeightLayers + 1) + " sizes)");
      for (int i = 0; i < size_count; ++i) {
        if (!is_whole(sizes[i], 1, kMaxLayerSize))
          return answer_.fail("layer sizes must be whole numbers from 1 to " + std::to_string(kMaxLayerSize));
        parsed.sizes.push_back(static_cast<int>(sizes[i]));
      }
    }
    if (!choice_arg(output, &parse_output_loss, &parsed.output))
      return answer_.fail("output must be 'sigmoid-l2' or 'softmax-xent'");
    if (seed_given) {
      if (!std::isfinite(seed)) return answer_.fail("seed must be a finite number");
      if (!is_whole(seed, 0, 4294967295.0)) return answer_.fail("seed must be a whole number from 0 to 4294967295");
      parsed.seed = static_cast<uint32_t>(seed);
    }
    if (!choice_arg(scaling, &parse_scaling, &parsed.scaling))
      return answer_.fail("scaling must be 'auto', 'rms', 'unit' or 'standard'");
    // The images' shape, from the training set the model is made for.
    const Dataset& train = trainer_.data(Split::kTrain);
    if (!train.empty() && train.features() == parsed.sizes.front()) {
      parsed.input_rows = train.rows();
      parsed.input_cols = train.cols();
    }
    return done(trainer_.create_model(parsed));
  }

  // values[OptionNumber] where bit i of given_mask is set, and the optimizer and schedule names (null: not given);
  // options not given keep their current values.
  const Reply* set_options(const double* values, uint32_t given_mask, const uint8_t* optimizer, const uint8_t* schedule_name) {
    answer_.clear();
    TrainOptions parsed = trainer_.options();
    std::string error;
    auto number = [&](OptionNumber index, const char* name, double fallback) {
      return number_arg(values, given_mask, index, name, fallback, &error);
    };
    const double batch = number(kBatchSize, "batchSize", parsed.batch_size);
    const double rate = number(kLearningRate, "learningRate", parsed.learning_rate);
    const double momentum = number(kMomentum, "momentum", parsed.momentum);
    if (!error.empty()) return answer_.fail(error);
    if (!is_whole(batch, 1, kMaxBatchSize))
      return answer_.fail("batchSize must be a whole number from 1 to " + std::to_string(kMaxBatchSize));
    parsed.batch_size = static_cast<int>(batch);
    parsed.learning_rate = static_cast<float>(rate);
    parsed.momentum = static_cast<float>(momentum);
    parsed.weight_decay = static_cast<float>(number(kWeightDecay, "weightDecay", parsed.weight_decay));
    parsed.dropout = static_cast<float>(number(kDropout, "dropout", parsed.dropout));
    parsed.beta1 = static_cast<float>(number(kBeta1, "beta1", parsed.beta1));
    parsed.beta2 = static_cast<float>(number(kBeta2, "beta2", parsed.beta2));
    parsed.epsilon = static_cast<float>(number(kEpsilon, "epsilon", parsed.epsilon));
    Schedule& schedule = parsed.schedule;
    const double warmup = number(kWarmupBatches, "warmupBatches", schedule.warmup_batches);
    const double total = number(kScheduleBatches, "scheduleBatches", schedule.total_batches);
    const double every = number(kStepBatches, "stepBatches", schedule.step_batches);
    schedule.step_gamma = static_cast<float>(number(kStepGamma, "stepGamma", schedule.step_gamma));
    parsed.label_smoothing = static_cast<float>(number(kLabelSmoothing, "labelSmoothing", parsed.label_smoothing));
    if (!error.empty()) return answer_.fail(error);
    for (const auto& [name, value] : {std::pair{"warmupBatches", warmup}, {"scheduleBatches", total}, {"stepBatches", every}})
      if (!is_whole(value, 0, kMaxScheduleBatches))
        return answer_.fail(std::string(name) + " must be a whole number from 0 to " + std::to_string(kMaxScheduleBatches));
    schedule.warmup_batches = static_cast<int>(warmup);
    schedule.total_batches = static_cast<int>(total);
    schedule.step_batches = static_cast<int>(every);
    if (!choice_arg(optimizer, &parse_optimizer, &parsed.optimizer))
      return answer_.fail("optimizer must be 'sgd', 'adam' or 'adamw'");
    if (!choice_arg(schedule_name, &parse_schedule, &schedule.kind))
      return answer_.fail("schedule must be 'constant', 'cosine' or 'step'");
    return done(trainer_.set_options(parsed));
  }

  // -> the TrainSummary's fields, with its error when the run failed
  const Reply* train(double batches) {
    answer_.clear();
    if (!is_whole(batches, 0, kMaxTrainBatches))
      return answer_.fail("batches must be a whole number from 0 to " + std::to_string(kMaxTrainBatches));
    TrainSummary s = trainer_.train(static_cast<int>(batches));
    answer_.set_error(s.error);
    answer_.flag("diverged", s.diverged);
    answer_.number("batches", s.batches);
    answer_.number("samples", static_cast<double>(s.samples));
    answer_.number("loss", s.mean_loss);
    answer_.floats("batchLosses", std::move(s.batch_losses));
    answer_.number("accuracy", s.accuracy);
    answer_.number("seconds", s.seconds);
    answer_.number("samplesPerSecond", s.samples_per_second);
    answer_.number("learningRate", s.learning_rate);
    answer_.number("step", static_cast<double>(s.step));
    answer_.number("epoch", s.epoch);
    answer_.number("batchInEpoch", s.batch_in_epoch);
    answer_.number("batchesPerEpoch", s.batches_per_epoch);
    return answer_.reply();
  }

  // -> {loss, accuracy, count, classes, confusion: classes × classes}
  const Reply* evaluate(const uint8_t* split_name, double limit) {
    answer_.clear();
    Split split;
    const std::string name = text_arg(split_name);
    if (!parse_split(name, &split)) return answer_.fail("split must be 'train' or 'test', not '" + name + "'");
    if (!(limit >= 0)) return answer_.fail("limit must be 0 (all) or a positive count");
    const Evaluation e = trainer_.evaluate(split, static_cast<size_t>(limit));
    if (!e.error.empty()) return answer_.fail(e.error);
    answer_.number("loss", e.loss);
    answer_.number("accuracy", e.accuracy);
    answer_.number("count", e.count);
    answer_.number("classes", e.classes);
    answer_.array("confusion", e.confusion);
    return answer_.reply();
  }

  // pixels[length]: count × inputs values 0..255 -> {scores: count × outputs}
  const Reply* predict(const uint8_t* pixels, double pixels_length) {
    answer_.clear();
    const int inputs = trainer_.network().input_size();
    const size_t length = length_arg(pixels_length);
    if (length == 0 || length % inputs != 0)
      return answer_.fail("pixels must hold a whole number of " + std::to_string(inputs) + "-pixel images; got " +
                          std::to_string(length) + " values");
    std::vector<float> scores;
    if (Status s = trainer_.predict(pixels, length / inputs, &scores); !s.ok()) return answer_.fail(s.error);
    answer_.floats("scores", std::move(scores));
    return answer_.reply();
  }

  // -> {units, inputs, weights: units × inputs}: the first layer's first `units` units.
  const Reply* first_layer_weights(double units) {
    answer_.clear();
    const Network& network = trainer_.network();
    const int available = network.layers().front().used_out;
    if (!is_whole(units, 1, available))
      return answer_.fail("units must be a whole number from 1 to " + std::to_string(available));
    const int count = static_cast<int>(units);
    std::vector<float> weights(static_cast<size_t>(count) * network.input_size());
    network.first_layer_weights(count, weights.data());
    answer_.number("units", count);
    answer_.number("inputs", network.input_size());
    answer_.floats("weights", std::move(weights));
    return answer_.reply();
  }

  // -> {model: the model file}; with_state also saves the optimizer's state and step count, to train on from there.
  const Reply* save_model(int with_state) {
    answer_.clear();
    answer_.bytes("model", trainer_.save(with_state != 0));
    return answer_.reply();
  }

  const Reply* load_model(const uint8_t* bytes, double length) {
    answer_.clear();
    return done(trainer_.load(bytes, length_arg(length)));
  }

  // -> {sizes, output, scaling, inputBackground, inputShape, classes, parameters, step, the training options, trainShape,
  // trainClasses, trainCount, testCount}
  const Reply* info() {
    answer_.clear();
    const Network& network = trainer_.network();
    const TrainOptions& options = trainer_.options();
    answer_.array("sizes", network.config().sizes);
    answer_.text("output", output_loss_name(network.config().output));
    answer_.text("scaling", scaling_name(network.input_scaling().kind));
    answer_.flag("inputBackground", network.has_input_background());
    answer_.array("inputShape", std::vector<int>{network.input_rows(), network.input_cols()});
    answer_.number("classes", network.output_size());
    answer_.number("parameters", static_cast<double>(network.parameter_count()));
    answer_.number("step", static_cast<double>(trainer_.step()));
    answer_.number("learningRate", options.learning_rate);
    answer_.number("labelSmoothing", options.label_smoothing);
    training_fields(answer_, "", options);
    const Dataset& train = trainer_.data(Split::kTrain);
    answer_.array("trainShape", std::vector<int>{train.empty() ? 0 : train.rows(), train.empty() ? 0 : train.cols()});
    answer_.number("trainClasses", train.empty() ? 0 : train.classes());
    answer_.number("trainCount", static_cast<double>(trainer_.data(Split::kTrain).size()));
    answer_.number("testCount", static_cast<double>(trainer_.data(Split::kTest).size()));
    return answer_.reply();
  }

 private:
  const Reply* done(const Status& status) { return status.ok() ? answer_.reply() : answer_.fail(status.error); }

  Trainer trainer_;
  Answer answer_;
  std::vector<uint8_t> staged_images_, staged_labels_;  // between stage_data and load_data
  Split staged_split_ = Split::kTrain;
  size_t staged_limit_ = 0;
};

// The answer of the calls that take no engine.
Answer module_answer;

}  // namespace
}  // namespace scratchnet

using scratchnet::Engine;
using scratchnet::Reply;

extern "C" {

// An engine with the default model and no data.
EMSCRIPTEN_KEEPALIVE Engine* scratchnet_new() { return new Engine(); }
EMSCRIPTEN_KEEPALIVE void scratchnet_delete(Engine* engine) { delete engine; }

EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_stage_data(Engine* engine, const uint8_t* split, const uint8_t* images_head,
                                                        double images_length, const uint8_t* labels_head,
                                                        double labels_length, double limit) {
  return engine->stage_data(split, images_head, images_length, labels_head, labels_length, limit);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_load_data(Engine* engine) { return engine->load_data(); }
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_create_model(Engine* engine, const double* sizes, int size_count,
                                                          const uint8_t* output, const uint8_t* scaling, double seed,
                                                          int seed_given) {
  return engine->create_model(sizes, size_count, output, scaling, seed, seed_given);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_set_options(Engine* engine, const double* values, uint32_t given_mask,
                                                         const uint8_t* optimizer, const uint8_t* schedule) {
  return engine->set_options(values, given_mask, optimizer, schedule);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_train(Engine* engine, double batches) { return engine->train(batches); }
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_evaluate(Engine* engine, const uint8_t* split, double limit) {
  return engine->evaluate(split, limit);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_predict(Engine* engine, const uint8_t* pixels, double length) {
  return engine->predict(pixels, length);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_first_layer_weights(Engine* engine, double units) {
  return engine->first_layer_weights(units);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_save_model(Engine* engine, int with_state) {
  return engine->save_model(with_state);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_load_model(Engine* engine, const uint8_t* bytes, double length) {
  return engine->load_model(bytes, length);
}
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_info(Engine* engine) { return engine->info(); }

// The limits the engine enforces, for the tools and the page to check against before they call (engine.js
// holds the same figures for code that runs before the module loads; tests/node/limits.test.mjs compares them).
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_limits() {
  using namespace scratchnet;
  Answer& a = module_answer;
  a.clear();
  a.number("layerSize", kMaxLayerSize);
  a.number("hiddenLayers", kMaxWeightLayers - 1);
  a.number("parameters", static_cast<double>(kMaxParameters));
  a.number("batchSize", kMaxBatchSize);
  a.number("learningRate", kMaxLearningRate);
  a.number("dropout", kMaxDropout);
  a.number("seed", 4294967295.0);
  a.number("trainBatches", kMaxTrainBatches);
  a.number("scheduleBatches", kMaxScheduleBatches);
  return a.reply();
}

// The defaults: the network (NetworkConfig), the training options (TrainOptions, with SGD's learning rate for
// each loss and Adam's in place of TrainOptions' own, and the label smoothing for each loss), as engine.js's
// DEFAULT_MODEL and defaultOptionsFor give them.
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_defaults() {
  using namespace scratchnet;
  Answer& a = module_answer;
  a.clear();
  const NetworkConfig network;
  a.array("model.sizes", network.sizes);
  a.text("model.output", output_loss_name(network.output));
  a.number("model.seed", network.seed);
  a.text("model.scaling", scaling_name(network.scaling));
  training_fields(a, "options.", TrainOptions());
  a.number(std::string("learningRates.") + output_loss_name(OutputLoss::kSigmoidL2), kDefaultSgdRateSigmoidL2);
  a.number(std::string("learningRates.") + output_loss_name(OutputLoss::kSoftmaxCrossEntropy), kDefaultSgdRateSoftmaxCrossEntropy);
  a.number("adamLearningRate", kDefaultAdamRate);
  a.number(std::string("labelSmoothing.") + output_loss_name(OutputLoss::kSigmoidL2), kDefaultLabelSmoothingSigmoidL2);
  a.number(std::string("labelSmoothing.") + output_loss_name(OutputLoss::kSoftmaxCrossEntropy),
           kDefaultLabelSmoothingSoftmaxCrossEntropy);
  return a.reply();
}

// -> {name}: 'wasm-simd128' or 'scalar'
EMSCRIPTEN_KEEPALIVE const Reply* scratchnet_backend() {
  scratchnet::module_answer.clear();
  scratchnet::module_answer.text("name", scratchnet::kernel_backend());
  return scratchnet::module_answer.reply();
}
EMSCRIPTEN_KEEPALIVE double scratchnet_threads_working() { return scratchnet::threads_running_parts(); }
EMSCRIPTEN_KEEPALIVE double scratchnet_memory_bytes() { return static_cast<double>(emscripten_get_heap_size()); }

}  // extern "C"
