#include "model_file.h"

#include <cmath>
#include <cstring>

namespace scratchnet {

namespace {

constexpr char kMagic[4] = {'S', 'N', 'E', 'T'};

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_floats(std::vector<uint8_t>& out, const float* values, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    put_u32(out, bits);
  }
}
// A layer's buffer shaped as its weights [in×out] or its bias [out]: the used part (DenseLayer::used_in, used_out),
// row by row. The file holds the network's sizes, never its padding.
void put_used(std::vector<uint8_t>& out, const DenseLayer& layer, const FloatBuffer& values, bool weights) {
  for (int row = 0; row < (weights ? layer.used_in : 1); ++row)
    put_floats(out, values.data() + static_cast<size_t>(row) * layer.out, layer.used_out);
}
// How many floats put_used writes for a buffer shaped as the weights or the bias.
size_t used_floats(const DenseLayer& layer, bool weights) {
  return (weights ? static_cast<size_t>(layer.used_in) : 1) * layer.used_out;
}
uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  static uint32_t table[256];
  static bool ready = false;
  if (!ready) {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = true;
  }
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

namespace {


// Reads floats in order from a checked buffer.
struct FloatReader {
  const uint8_t* p;
  bool finite = true;
  void read(float* values, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t bits = get_u32(p);
      std::memcpy(&values[i], &bits, 4);
      finite &= std::isfinite(values[i]);
      p += 4;
    }
  }
  // put_used's part of a layer's buffer (the padding is left as it is: zero).
  void read_used(const DenseLayer& layer, FloatBuffer& values, bool weights) {
    for (int row = 0; row < (weights ? layer.used_in : 1); ++row)
      read(values.data() + static_cast<size_t>(row) * layer.out, layer.used_out);
  }
};

size_t parameter_count(const std::vector<int>& sizes) {
  size_t parameters = 0;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) parameters += static_cast<size_t>(sizes[i]) * sizes[i + 1] + sizes[i + 1];
  return parameters;
}

// Floats of optimizer state per parameter.
size_t state_floats_per_parameter(OptimizerKind kind) { return kind == OptimizerKind::kSgd ? 1 : 2; }

}  // namespace

std::vector<uint8_t> save_model(const Network& network, const OptimizerState& state) {
  const NetworkConfig& config = network.config();
  const InputScaling& scaling = network.input_scaling();
  const size_t parameters = network.parameter_count();
  std::vector<uint8_t> out;
  out.reserve(48 + 4 * config.sizes.size() + 8 * scaling.scale.size() +
              4 * parameters * (1 + (state.present ? state_floats_per_parameter(state.kind) : 0)) + 4);
  out.insert(out.end(), kMagic, kMagic + 4);
  put_u32(out, kModelFormatVersion);
  put_u32(out, static_cast<uint32_t>(config.output));
  put_u32(out, 0);  // ReLU
  put_u32(out, static_cast<uint32_t>(network.layers().size()));
  for (int size : config.sizes) put_u32(out, static_cast<uint32_t>(size));
  put_u32(out, static_cast<uint32_t>(network.input_rows()));
  put_u32(out, static_cast<uint32_t>(network.input_cols()));
  put_u32(out, static_cast<uint32_t>(scaling.kind));
  put_floats(out, scaling.scale.data(), scaling.scale.size());
  put_floats(out, scaling.offset.data(), scaling.offset.size());
  for (const auto& layer : network.layers()) {
    put_used(out, layer, layer.weights, true);
    put_used(out, layer, layer.bias, false);
  }
  put_u32(out, state.present ? 1 : 0);
  if (state.present) {
    put_u32(out, static_cast<uint32_t>(state.kind));
    put_u32(out, static_cast<uint32_t>(state.batches));
    put_u32(out, static_cast<uint32_t>(state.batches >> 32));
    put_u32(out, state.seed);
    put_u32(out, state.epochs);
    put_u32(out, state.samples_into_epoch);
    put_u32(out, state.batches_into_epoch);
    // All zero is no generator's state (xoshiro never reaches it) and the loader refuses it: a state made by
    // hand gets the network's own, so that what is saved always loads.
    const bool no_dropout_state = state.dropout_state == std::array<uint32_t, 4>{};
    for (uint32_t word : no_dropout_state ? network.dropout_generator_state() : state.dropout_state) put_u32(out, word);
    for (const auto& layer : network.layers()) {
      const size_t sizes[] = {used_floats(layer, true), used_floats(layer, false)};
      int i = 0;
      for (const FloatBuffer* buffer : layer.optimizer_state_if_any(state.kind)) {
        if (buffer)
          put_used(out, layer, *buffer, i % 2 == 0);
        else
          out.insert(out.end(), 4 * sizes[i % 2], 0);  // +0.0f
        ++i;
      }
    }
  }
  put_u32(out, crc32(out.data(), out.size()));
  return out;
}

Status load_model(const uint8_t* data, size_t size, std::unique_ptr<Network>* out, OptimizerState* state_out) {
  if (size < 24) return Status::Error("model file: " + std::to_string(size) + " bytes is too short to be a model");
  if (std::memcmp(data, kMagic, 4) != 0) return Status::Error("model file: not a scratchnet model (bad magic)");
  const uint32_t version = get_u32(data + 4);
  if (version < 1 || version > kModelFormatVersion)
    return Status::Error("model file: format version " + std::to_string(version) + " is not supported (this build reads 1 to " +
                         std::to_string(kModelFormatVersion) + ")");
  const uint32_t output = get_u32(data + 8);
  if (output > 1) return Status::Error("model file: unknown output/loss kind " + std::to_string(output));
  if (get_u32(data + 12) != 0) return Status::Error("model file: unknown hidden activation " + std::to_string(get_u32(data + 12)));
  const uint32_t layer_count = get_u32(data + 16);
  if (layer_count < 1 || layer_count > kMaxWeightLayers)
    return Status::Error("model file: " + std::to_string(layer_count) + " layers is out of range");
  const size_t sizes_end = 20 + 4 * (static_cast<size_t>(layer_count) + 1);
  if (size < sizes_end + 4) return Status::Error("model file: truncated inside its header");

  NetworkConfig config;
  config.output = static_cast<OutputLoss>(output);
  config.sizes.clear();
  for (uint32_t i = 0; i <= layer_count; ++i) {
    const uint32_t layer_size = get_u32(data + 20 + 4 * i);
    if (layer_size < 1 || layer_size > static_cast<uint32_t>(kMaxLayerSize))
      return Status::Error("model file: layer size " + std::to_string(layer_size) + " is out of range");
    config.sizes.push_back(static_cast<int>(layer_size));
  }
  if (Status s = validate(config); !s.ok()) return Status::Error("model file: " + s.error);
  const size_t inputs = static_cast<size_t>(config.sizes.front());
  const size_t parameters = parameter_count(config.sizes);
  // v2 on: shape and scaling after the sizes.
  size_t header = sizes_end;
  config.scaling = ScalingKind::kUnit;
  if (version >= 2) {
    header = sizes_end + 12 + 8 * inputs;
    if (size < header + 4) return Status::Error("model file: truncated inside its header");
    const uint32_t rows = get_u32(data + sizes_end), cols = get_u32(data + sizes_end + 4);
    if (rows == 0 || cols == 0 || static_cast<uint64_t>(rows) * cols != inputs)
      return Status::Error("model file: an input shape of " + std::to_string(rows) + "x" + std::to_string(cols) +
                           " does not match " + std::to_string(inputs) + " inputs");
    config.input_rows = static_cast<int>(rows);
    config.input_cols = static_cast<int>(cols);
    const uint32_t scaling = get_u32(data + sizes_end + 8);
    if (scaling > static_cast<uint32_t>(ScalingKind::kStandard))
      return Status::Error("model file: unknown input scaling " + std::to_string(scaling));
    config.scaling = static_cast<ScalingKind>(scaling);
  }
  const size_t weights_end = header + 4 * parameters;
  // v2 on: the optimizer-state flag and the state follow the weights; v3's state says more (model_file.h).
  OptimizerState state;
  size_t expected = weights_end + 4;
  const size_t state_header = version >= 3 ? 44 : 20;  // from the optimizer's kind to its buffers
  if (version >= 2) {
    if (size < weights_end + 8)
      return Status::Error("model file: truncated (" + std::to_string(size) + " of at least " +
                           std::to_string(weights_end + 8) + " bytes)");
    const uint32_t flag = get_u32(data + weights_end);
    const bool sealed = crc32(data, size - 4) == get_u32(data + size - 4);
    expected = weights_end + 8;
    // A flag that does not fit the file's length: a corrupted byte, or sizes that declare too few parameters.
    if ((flag > 1 && size == expected) || (flag == 1 && size == expected))
      return Status::Error(!sealed ? "model file: checksum mismatch (the file is corrupted)"
                                   : "model file: bad optimizer-state flag " + std::to_string(flag));
    if (flag == 1) {
      if (size < weights_end + 8 + state_header) return Status::Error("model file: truncated inside its optimizer state");
      const uint32_t kind = get_u32(data + weights_end + 4);
      if (kind > static_cast<uint32_t>(OptimizerKind::kAdamW))
        return Status::Error(!sealed ? "model file: checksum mismatch (the file is corrupted)"
                                     : "model file: unknown optimizer " + std::to_string(kind));
      state.present = true;
      state.kind = static_cast<OptimizerKind>(kind);
      state.batches = get_u32(data + weights_end + 8) | (static_cast<uint64_t>(get_u32(data + weights_end + 12)) << 32);
      state.seed = get_u32(data + weights_end + 16);
      state.epochs = get_u32(data + weights_end + 20);
      if (version >= 3) {
        state.samples_into_epoch = get_u32(data + weights_end + 24);
        state.batches_into_epoch = get_u32(data + weights_end + 28);
        for (int i = 0; i < 4; ++i) state.dropout_state[i] = get_u32(data + weights_end + 32 + 4 * i);
        state.has_dropout_state = true;
        // xoshiro's one state it never leaves, and never reaches from a seed: all dropout masks would drop all.
        if (state.dropout_state == std::array<uint32_t, 4>{})
          return Status::Error(!sealed ? "model file: checksum mismatch (the file is corrupted)"
                                       : "model file: bad dropout generator state (all zero)");
      }
      config.seed = state.seed;
      expected = weights_end + 8 + state_header + 4 * parameters * state_floats_per_parameter(state.kind);
    }
  }
  if (size < expected)
    return Status::Error("model file: truncated (" + std::to_string(size) + " of " + std::to_string(expected) + " bytes)");
  if (size > expected)
    return Status::Error("model file: " + std::to_string(size - expected) + " unexpected bytes after the checksum");
  if (crc32(data, size - 4) != get_u32(data + size - 4))
    return Status::Error("model file: checksum mismatch (the file is corrupted)");

  auto network = std::make_unique<Network>(config);
  if (version >= 2) {
    InputScaling scaling;
    scaling.kind = config.scaling;
    scaling.scale.resize(inputs);
    scaling.offset.resize(inputs);
    FloatReader reader{data + sizes_end + 12};
    reader.read(scaling.scale.data(), inputs);
    reader.read(scaling.offset.data(), inputs);
    if (!reader.finite) return Status::Error("model file: holds a non-finite input scaling");
    scaling.refresh();
    network->set_input_scaling(std::move(scaling));
  }
  FloatReader reader{data + header};
  for (auto& layer : network->layers()) {
    reader.read_used(layer, layer.weights, true);
    reader.read_used(layer, layer.bias, false);
  }
  if (!reader.finite) return Status::Error("model file: holds a non-finite parameter");
  network->reset_velocities();
  if (state.present) {
    FloatReader state_reader{data + weights_end + 4 + state_header};  // after the flag and the state's header
    for (auto& layer : network->layers()) {
      int i = 0;
      for (FloatBuffer* buffer : layer.optimizer_state(state.kind)) state_reader.read_used(layer, *buffer, i++ % 2 == 0);
    }
    if (!state_reader.finite) return Status::Error("model file: holds a non-finite optimizer state");
  }
  if (state.has_dropout_state)
    network->set_dropout_generator_state(state.dropout_state);
  else if (state.present)
    state.dropout_state = network->dropout_generator_state();  // v2: the generator as the seed starts it
  if (state_out) *state_out = state;
  *out = std::move(network);
  return Status::Ok();
}

}  // namespace scratchnet
