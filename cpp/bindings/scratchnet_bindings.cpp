// The whole JavaScript boundary of the engine, and the only C++ that includes Emscripten headers.
// One coarse call per job; options come in as plain JS objects and are checked here; every result
// is a plain JS object whose `error` field is empty on success. No C++ exception crosses.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "trainer.h"

using emscripten::val;

namespace scratchnet {
namespace {

bool is_number(const val& v) { return v.typeOf().as<std::string>() == "number"; }
bool is_whole(double v, double lo, double hi) { return v >= lo && v <= hi && v == std::floor(v); }
bool is_uint8_array(const val& v) { return v.instanceof(val::global("Uint8Array")); }

// Reads an optional numeric field; *error is set if present but not a finite number.
double number_field(const val& object, const char* name, double fallback, std::string* error) {
  const val field = object[name];
  if (field.isUndefined()) return fallback;
  if (!is_number(field) || !std::isfinite(field.as<double>())) {
    *error = std::string(name) + " must be a finite number";
    return fallback;
  }
  return field.as<double>();
}

// Reads an optional string field naming one of a kind's values: true if absent, or named and parsed into *out.
template <class Kind>
bool choice_field(const val& object, const char* name, bool (*parse)(const std::string&, Kind*), Kind* out) {
  const val field = object[name];
  if (field.isUndefined()) return true;
  return field.typeOf().as<std::string>() == "string" && parse(field.as<std::string>(), out);
}

bool parse_split(const std::string& name, Split* split) {
  if (name == "train") *split = Split::kTrain;
  else if (name == "test") *split = Split::kTest;
  else return false;
  return true;
}

// The first bytes of a Uint8Array, enough for an IDX header.
std::vector<uint8_t> head_bytes(const val& array) {
  const size_t length = std::min(array["length"].as<size_t>(), Dataset::kIdxHeadBytes);
  return emscripten::convertJSArrayToNumberVector<uint8_t>(array.call<val>("subarray", 0, length));
}

// The training options as fields of a JS object, all but the learning rate (info() gives the one in use,
// defaults() one for each loss).
void set_training_fields(val& into, const TrainOptions& options) {
  into.set("batchSize", options.batch_size);
  into.set("momentum", options.momentum);
  into.set("optimizer", std::string(optimizer_name(options.optimizer)));
  into.set("weightDecay", options.weight_decay);
  into.set("dropout", options.dropout);
  into.set("beta1", options.beta1);
  into.set("beta2", options.beta2);
  into.set("epsilon", options.epsilon);
  into.set("schedule", std::string(schedule_name(options.schedule.kind)));
  into.set("warmupBatches", options.schedule.warmup_batches);
  into.set("scheduleBatches", options.schedule.total_batches);
  into.set("stepBatches", options.schedule.step_batches);
  into.set("stepGamma", options.schedule.step_gamma);
}

val error_result(const std::string& message) {
  val result = val::object();
  result.set("error", message);
  return result;
}

class Engine {
 public:
  // {split: 'train'|'test'} + IDX bytes of images and labels (uncompressed) + optional limit.
  val loadData(const std::string& split_name, const val& images, const val& labels, double limit) {
    Split split;
    if (!parse_split(split_name, &split)) return error_result("split must be 'train' or 'test', not '" + split_name + "'");
    if (!is_uint8_array(images) || !is_uint8_array(labels)) return error_result("images and labels must be Uint8Arrays");
    if (!(limit >= 0)) return error_result("limit must be 0 (all) or a positive count");
    const std::string which = split == Split::kTrain ? "training data: " : "test data: ";
    // Check the headers first, then let go of the set this split holds, so that the old and the new set
    // (47 MB each for MNIST's training images) are never in wasm memory at once: it never shrinks.
    const size_t images_size = images["length"].as<size_t>(), labels_size = labels["length"].as<size_t>();
    const std::vector<uint8_t> images_head = head_bytes(images), labels_head = head_bytes(labels);
    if (Status s = Dataset::check_headers(images_head.data(), images_size, labels_head.data(), labels_size); !s.ok())
      return error_result(which + s.error);
    if (Status s = trainer_.check_data_memory(split, static_cast<uint64_t>(images_size) + labels_size); !s.ok())
      return error_result(which + s.error);
    // A training set is let go first (the large one); a test set only once the new one is known to fit.
    if (split == Split::kTrain) trainer_.set_data(split, Dataset());
    Dataset data;
    Status s = Dataset::from_idx(emscripten::convertJSArrayToNumberVector<uint8_t>(images),
                                 emscripten::convertJSArrayToNumberVector<uint8_t>(labels), static_cast<size_t>(limit), &data);
    if (!s.ok()) return error_result(which + s.error);
    val result = val::object();
    result.set("error", std::string());
    result.set("count", static_cast<double>(data.size()));
    result.set("rows", data.rows());
    result.set("cols", data.cols());
    result.set("classes", data.classes());
    if (Status s = trainer_.set_data(split, std::move(data)); !s.ok()) return error_result(which + s.error);
    return result;
  }

  // {sizes: number[], output: 'sigmoid-l2'|'softmax-xent', seed: number, scaling: 'rms'|'unit'|'standard'}
  // -> error message or "".
  std::string createModel(const val& config) {
    NetworkConfig parsed;
    if (!config.isUndefined() && !config.isNull()) {
      const val sizes = config["sizes"];
      if (!sizes.isUndefined()) {
        if (!val::global("Array").call<bool>("isArray", sizes)) return "sizes must be an array of layer sizes";
        parsed.sizes.clear();
        const int length = sizes["length"].as<int>();
        if (length > kMaxWeightLayers + 1) return "too many layers (at most " + std::to_string(kMaxWeightLayers + 1) + " sizes)";
        for (int i = 0; i < length; ++i) {
          const val size = sizes[i];
          if (!is_number(size) || !is_whole(size.as<double>(), 1, kMaxLayerSize))
            return "layer sizes must be whole numbers from 1 to " + std::to_string(kMaxLayerSize);
          parsed.sizes.push_back(static_cast<int>(size.as<double>()));
        }
      }
      if (!choice_field(config, "output", &parse_output_loss, &parsed.output))
        return "output must be 'sigmoid-l2' or 'softmax-xent'";
      std::string error;
      const double seed = number_field(config, "seed", 1, &error);
      if (!error.empty()) return error;
      if (!is_whole(seed, 0, 4294967295.0))
        return "seed must be a whole number from 0 to 4294967295";
      parsed.seed = static_cast<uint32_t>(seed);
      if (!choice_field(config, "scaling", &parse_scaling, &parsed.scaling))
        return "scaling must be 'auto', 'rms', 'unit' or 'standard'";
    }
    // The images' shape, from the training set the model is made for.
    const Dataset& train = trainer_.data(Split::kTrain);
    if (!train.empty() && train.features() == parsed.sizes.front()) {
      parsed.input_rows = train.rows();
      parsed.input_cols = train.cols();
    }
    return trainer_.create_model(parsed).error;
  }

  // {batchSize, learningRate, momentum, optimizer, weightDecay, dropout, beta1, beta2, epsilon, schedule,
  // warmupBatches, scheduleBatches, stepBatches, stepGamma}; missing fields keep their current values.
  std::string setOptions(const val& options) {
    if (options.isUndefined() || options.isNull()) return "";
    TrainOptions parsed = trainer_.options();
    std::string error;
    const double batch = number_field(options, "batchSize", parsed.batch_size, &error);
    const double rate = number_field(options, "learningRate", parsed.learning_rate, &error);
    const double momentum = number_field(options, "momentum", parsed.momentum, &error);
    if (!error.empty()) return error;
    if (!is_whole(batch, 1, kMaxBatchSize)) return "batchSize must be a whole number from 1 to " + std::to_string(kMaxBatchSize);
    parsed.batch_size = static_cast<int>(batch);
    parsed.learning_rate = static_cast<float>(rate);
    parsed.momentum = static_cast<float>(momentum);
    parsed.weight_decay = static_cast<float>(number_field(options, "weightDecay", parsed.weight_decay, &error));
    parsed.dropout = static_cast<float>(number_field(options, "dropout", parsed.dropout, &error));
    parsed.beta1 = static_cast<float>(number_field(options, "beta1", parsed.beta1, &error));
    parsed.beta2 = static_cast<float>(number_field(options, "beta2", parsed.beta2, &error));
    parsed.epsilon = static_cast<float>(number_field(options, "epsilon", parsed.epsilon, &error));
    Schedule& schedule = parsed.schedule;
    const double warmup = number_field(options, "warmupBatches", schedule.warmup_batches, &error);
    const double total = number_field(options, "scheduleBatches", schedule.total_batches, &error);
    const double every = number_field(options, "stepBatches", schedule.step_batches, &error);
    schedule.step_gamma = static_cast<float>(number_field(options, "stepGamma", schedule.step_gamma, &error));
    if (!error.empty()) return error;
    for (const auto& [name, value] : {std::pair{"warmupBatches", warmup}, {"scheduleBatches", total}, {"stepBatches", every}})
      if (!is_whole(value, 0, kMaxScheduleBatches))
        return std::string(name) + " must be a whole number from 0 to " + std::to_string(kMaxScheduleBatches);
    schedule.warmup_batches = static_cast<int>(warmup);
    schedule.total_batches = static_cast<int>(total);
    schedule.step_batches = static_cast<int>(every);
    if (!choice_field(options, "optimizer", &parse_optimizer, &parsed.optimizer))
      return "optimizer must be 'sgd', 'adam' or 'adamw'";
    if (!choice_field(options, "schedule", &parse_schedule, &schedule.kind))
      return "schedule must be 'constant', 'cosine' or 'step'";
    return trainer_.set_options(parsed).error;
  }

  val train(double batches) {
    if (!is_whole(batches, 0, kMaxTrainBatches))
      return error_result("batches must be a whole number from 0 to " + std::to_string(kMaxTrainBatches));
    const TrainSummary s = trainer_.train(static_cast<int>(batches));
    val result = val::object();
    result.set("error", s.error);
    result.set("diverged", s.diverged);
    result.set("batches", s.batches);
    result.set("samples", static_cast<double>(s.samples));
    result.set("loss", s.mean_loss);
    result.set("batchLosses", val::global("Float32Array").new_(emscripten::typed_memory_view(s.batch_losses.size(), s.batch_losses.data())));
    result.set("accuracy", s.accuracy);
    result.set("seconds", s.seconds);
    result.set("samplesPerSecond", s.samples_per_second);
    result.set("learningRate", s.learning_rate);
    result.set("step", static_cast<double>(s.step));
    result.set("epoch", s.epoch);
    result.set("batchInEpoch", s.batch_in_epoch);
    result.set("batchesPerEpoch", s.batches_per_epoch);
    return result;
  }

  val evaluate(const std::string& split_name, double limit) {
    Split split;
    if (!parse_split(split_name, &split)) return error_result("split must be 'train' or 'test', not '" + split_name + "'");
    if (!(limit >= 0)) return error_result("limit must be 0 (all) or a positive count");
    const Evaluation e = trainer_.evaluate(split, static_cast<size_t>(limit));
    val result = val::object();
    result.set("error", e.error);
    result.set("loss", e.loss);
    result.set("accuracy", e.accuracy);
    result.set("count", e.count);
    result.set("classes", e.classes);
    result.set("confusion", val::global("Array").call<val>(
                                "from", val(emscripten::typed_memory_view(e.confusion.size(), e.confusion.data()))));
    return result;
  }

  // pixels: Uint8Array of count × inputs values 0..255 -> {error, scores: Float32Array(count × outputs)}
  val predict(const val& pixels) {
    if (!is_uint8_array(pixels)) return error_result("pixels must be a Uint8Array");
    const int inputs = trainer_.network().input_size();
    const size_t length = pixels["length"].as<size_t>();
    if (length == 0 || length % inputs != 0)
      return error_result("pixels must hold a whole number of " + std::to_string(inputs) + "-pixel images; got " +
                          std::to_string(length) + " values");
    const std::vector<uint8_t> bytes = emscripten::convertJSArrayToNumberVector<uint8_t>(pixels);
    std::vector<float> scores;
    if (Status s = trainer_.predict(bytes.data(), length / inputs, &scores); !s.ok()) return error_result(s.error);
    val result = val::object();
    result.set("error", std::string());
    result.set("scores", val::global("Float32Array").new_(emscripten::typed_memory_view(scores.size(), scores.data())));
    return result;
  }

  // {error, units, inputs, weights: Float32Array(units × inputs)}: the first layer's first `units` units.
  val firstLayerWeights(double units) {
    const Network& network = trainer_.network();
    const int available = network.layers().front().out;
    if (!is_whole(units, 1, available))
      return error_result("units must be a whole number from 1 to " + std::to_string(available));
    const int count = static_cast<int>(units);
    std::vector<float> weights(static_cast<size_t>(count) * network.input_size());
    network.first_layer_weights(count, weights.data());
    val result = val::object();
    result.set("error", std::string());
    result.set("units", count);
    result.set("inputs", network.input_size());
    result.set("weights", val::global("Float32Array").new_(emscripten::typed_memory_view(weights.size(), weights.data())));
    return result;
  }

  // {optimizerState: true} also saves the optimizer's state and step count, to train on from there.
  val saveModel(const val& options) {
    const bool with_state = !options.isUndefined() && !options.isNull() && options["optimizerState"].as<bool>();
    const std::vector<uint8_t> bytes = trainer_.save(with_state);
    return val::global("Uint8Array").new_(emscripten::typed_memory_view(bytes.size(), bytes.data()));
  }

  std::string loadModel(const val& bytes) {
    if (!is_uint8_array(bytes)) return "a model must be given as a Uint8Array";
    const std::vector<uint8_t> data = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
    return trainer_.load(data.data(), data.size()).error;
  }

  // {sizes, output, scaling, inputShape, classes, parameters, step, the training options, trainCount, testCount}
  val info() const {
    const Network& network = trainer_.network();
    val sizes = val::array();
    for (int size : network.config().sizes) sizes.call<void>("push", size);
    val shape = val::array();
    shape.call<void>("push", network.input_rows());
    shape.call<void>("push", network.input_cols());
    const TrainOptions& options = trainer_.options();
    val result = val::object();
    result.set("sizes", sizes);
    result.set("output", std::string(output_loss_name(network.config().output)));
    result.set("scaling", std::string(scaling_name(network.input_scaling().kind)));
    result.set("inputShape", shape);
    result.set("classes", network.output_size());
    result.set("parameters", static_cast<double>(network.parameter_count()));
    result.set("step", static_cast<double>(trainer_.step()));
    result.set("learningRate", options.learning_rate);
    set_training_fields(result, options);
    const Dataset& train = trainer_.data(Split::kTrain);
    val train_shape = val::array();
    train_shape.call<void>("push", train.empty() ? 0 : train.rows());
    train_shape.call<void>("push", train.empty() ? 0 : train.cols());
    result.set("trainShape", train_shape);
    result.set("trainClasses", train.empty() ? 0 : train.classes());
    result.set("trainCount", static_cast<double>(trainer_.data(Split::kTrain).size()));
    result.set("testCount", static_cast<double>(trainer_.data(Split::kTest).size()));
    return result;
  }

 private:
  Trainer trainer_;
};

// The limits the engine enforces, for the tools and the page to check against before they call (engine.js
// holds the same figures for code that runs before the module loads; tests/node/limits.test.mjs compares them).
val limits() {
  val result = val::object();
  result.set("layerSize", kMaxLayerSize);
  result.set("hiddenLayers", kMaxWeightLayers - 1);
  result.set("parameters", static_cast<double>(kMaxParameters));
  result.set("batchSize", kMaxBatchSize);
  result.set("learningRate", kMaxLearningRate);
  result.set("dropout", kMaxDropout);
  result.set("seed", 4294967295.0);
  result.set("trainBatches", kMaxTrainBatches);
  result.set("scheduleBatches", kMaxScheduleBatches);
  return result;
}

// The defaults: the network (NetworkConfig), the training options (TrainOptions, with SGD's learning rate for
// each loss and Adam's in place of TrainOptions' own), as engine.js's DEFAULT_MODEL and defaultOptionsFor give them.
val defaults() {
  const NetworkConfig network;
  val sizes = val::array();
  for (int size : network.sizes) sizes.call<void>("push", size);
  val model = val::object();
  model.set("sizes", sizes);
  model.set("output", std::string(output_loss_name(network.output)));
  model.set("seed", static_cast<double>(network.seed));
  model.set("scaling", std::string(scaling_name(network.scaling)));
  const TrainOptions options;
  val training = val::object();
  set_training_fields(training, options);
  val rates = val::object();
  rates.set(output_loss_name(OutputLoss::kSigmoidL2), kDefaultSgdRateSigmoidL2);
  rates.set(output_loss_name(OutputLoss::kSoftmaxCrossEntropy), kDefaultSgdRateSoftmaxCrossEntropy);
  val result = val::object();
  result.set("model", model);
  result.set("options", training);
  result.set("learningRates", rates);
  result.set("adamLearningRate", kDefaultAdamRate);
  return result;
}

std::string backend() { return kernel_backend(); }
double threadsWorking() { return threads_running_parts(); }
double memoryBytes() { return static_cast<double>(emscripten_get_heap_size()); }

}  // namespace
}  // namespace scratchnet

EMSCRIPTEN_BINDINGS(scratchnet) {
  using namespace scratchnet;
  emscripten::function("backend", &backend);
  emscripten::function("memoryBytes", &memoryBytes);
  emscripten::function("threadsWorking", &threadsWorking);
  emscripten::function("limits", &limits);
  emscripten::function("defaults", &defaults);
  emscripten::class_<Engine>("Engine")
      .constructor<>()
      .function("loadData", &Engine::loadData)
      .function("createModel", &Engine::createModel)
      .function("setOptions", &Engine::setOptions)
      .function("train", &Engine::train)
      .function("evaluate", &Engine::evaluate)
      .function("predict", &Engine::predict)
      .function("firstLayerWeights", &Engine::firstLayerWeights)
      .function("saveModel", &Engine::saveModel)
      .function("loadModel", &Engine::loadModel)
      .function("info", &Engine::info);
}
