#include "model_file.h"

#include <cmath>
#include <cstring>

namespace scratchnet {

namespace {

constexpr char kMagic[4] = {'S', 'N', 'E', 'T'};

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_f32s(std::vector<uint8_t>& out, const FloatBuffer& values) {
  for (float f : values) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    put_u32(out, bits);
  }
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

std::vector<uint8_t> save_model(const Network& network) {
  const NetworkConfig& config = network.config();
  std::vector<uint8_t> out;
  out.reserve(24 + 4 * config.sizes.size() + 4 * network.parameter_count() + 4);
  out.insert(out.end(), kMagic, kMagic + 4);
  put_u32(out, kModelFormatVersion);
  put_u32(out, static_cast<uint32_t>(config.output));
  put_u32(out, 0);  // ReLU
  put_u32(out, static_cast<uint32_t>(network.layers().size()));
  for (int size : config.sizes) put_u32(out, static_cast<uint32_t>(size));
  for (const auto& layer : network.layers()) {
    put_f32s(out, layer.weights);
    put_f32s(out, layer.bias);
  }
  put_u32(out, crc32(out.data(), out.size()));
  return out;
}

Status load_model(const uint8_t* data, size_t size, std::unique_ptr<Network>* out) {
  if (size < 24) return Status::Error("model file: " + std::to_string(size) + " bytes is too short to be a model");
  if (std::memcmp(data, kMagic, 4) != 0) return Status::Error("model file: not a scratchnet model (bad magic)");
  const uint32_t version = get_u32(data + 4);
  if (version != kModelFormatVersion)
    return Status::Error("model file: format version " + std::to_string(version) + " is not supported (this build reads " +
                         std::to_string(kModelFormatVersion) + ")");
  const uint32_t output = get_u32(data + 8);
  if (output > 1) return Status::Error("model file: unknown output/loss kind " + std::to_string(output));
  if (get_u32(data + 12) != 0) return Status::Error("model file: unknown hidden activation " + std::to_string(get_u32(data + 12)));
  const uint32_t layer_count = get_u32(data + 16);
  if (layer_count < 1 || layer_count > kMaxWeightLayers)
    return Status::Error("model file: " + std::to_string(layer_count) + " layers is out of range");
  const size_t header = 20 + 4 * (static_cast<size_t>(layer_count) + 1);
  if (size < header + 4) return Status::Error("model file: truncated inside its header");

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
  size_t parameters = 0;
  for (size_t i = 0; i + 1 < config.sizes.size(); ++i)
    parameters += static_cast<size_t>(config.sizes[i]) * config.sizes[i + 1] + config.sizes[i + 1];
  const size_t expected = header + 4 * parameters + 4;
  if (size < expected)
    return Status::Error("model file: truncated (" + std::to_string(size) + " of " + std::to_string(expected) + " bytes)");
  if (size > expected)
    return Status::Error("model file: " + std::to_string(size - expected) + " unexpected bytes after the checksum");
  if (crc32(data, size - 4) != get_u32(data + size - 4))
    return Status::Error("model file: checksum mismatch (the file is corrupted)");

  auto network = std::make_unique<Network>(config);
  const uint8_t* p = data + header;
  auto read_floats = [&p](FloatBuffer& values) {
    for (float& f : values) {
      const uint32_t bits = get_u32(p);
      std::memcpy(&f, &bits, 4);
      p += 4;
    }
  };
  for (auto& layer : network->layers()) {
    read_floats(layer.weights);
    read_floats(layer.bias);
    for (const FloatBuffer* values : {&layer.weights, &layer.bias})
      for (float v : *values)
        if (!std::isfinite(v)) return Status::Error("model file: holds a non-finite parameter");
  }
  network->reset_velocities();
  *out = std::move(network);
  return Status::Ok();
}

}  // namespace scratchnet
