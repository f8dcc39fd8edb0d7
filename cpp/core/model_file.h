// The model file: a small binary format, little-endian throughout.
//
//   offset  size        field
//   0       4           magic "SNET"
//   4       4  u32      format version (1)
//   8       4  u32      output and loss: 0 = sigmoid + L2, 1 = softmax + cross-entropy
//   12      4  u32      hidden activation: 0 = ReLU (the only one so far)
//   16      4  u32      L, the number of weight layers (1..8)
//   20      4(L+1) u32  layer sizes: input, hidden..., output
//   ...     per layer l: f32 weights[in×out] (input-major: row k = weights leaving input k), f32 bias[out]
//   end-4   4  u32      CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
//
// The seed is not stored: a loaded model is its weights.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "network.h"
#include "status.h"

namespace scratchnet {

constexpr uint32_t kModelFormatVersion = 1;

std::vector<uint8_t> save_model(const Network& network);

// Parses and checks a model file; on success *out holds a new network with the file's weights.
// A truncated, corrupted or unsupported file gives an error naming what is wrong.
Status load_model(const uint8_t* data, size_t size, std::unique_ptr<Network>* out);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace scratchnet
