// The model file: a small binary format, little-endian throughout (README: "Model file format").
//
//   offset  size        field
//   0       4           magic "SNET"
//   4       4  u32      format version (3; versions 1 and 2 still load)
//   8       4  u32      output and loss: 0 = sigmoid + L2, 1 = softmax + cross-entropy
//   12      4  u32      hidden activation: 0 = ReLU (the only one so far)
//   16      4  u32      L, the number of weight layers (1..8)
//   20      4(L+1) u32  layer sizes: input, hidden..., output (the output size is the class count)
//   v2:     4+4 u32     input shape: rows, cols (rows·cols = input size)
//           4  u32      input scaling: 0 = unit (/255), 1 = rms, 2 = standard
//           4·in f32    scale per input, then 4·in f32 offset per input: x = pixel·scale + offset
//   ...     per layer l: f32 weights[in×out] (input-major: row k = weights leaving input k), f32 bias[out]
//   v2:     4  u32      optimizer state: 0 = none, 1 = present; if present:
//           4  u32      optimizer: 0 = SGD, 1 = Adam, 2 = AdamW
//           8  u64      batches trained (the schedule's clock; Adam's step count)
//           4  u32      the seed of the model's shuffles and dropout, 4 u32 epochs completed (the shuffles to replay)
//   v3:     4+4 u32     samples and batches into the unfinished epoch; 16 (4 u32) the dropout generator's state
//           ...         per layer: SGD: f32 velocity of W, of b; Adam: f32 m of W, of b, then v of W, of b
//   end-4   4  u32      CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
//
// Version 1 has no input shape (28×28 for 784 inputs, else one row), no scaling (unit) and no optimizer state.
// The seed is not stored: a loaded model is its weights.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "network.h"
#include "status.h"

namespace scratchnet {

constexpr uint32_t kModelFormatVersion = 3;

// What a model file holds beyond the weights, for training on.
struct OptimizerState {
  bool present = false;
  OptimizerKind kind = OptimizerKind::kSgd;
  uint64_t batches = 0;  // trained so far
  uint32_t seed = 1;     // of the epoch shuffles and dropout masks
  uint32_t epochs = 0;   // completed: a trainer replays their shuffles to go on in the same order
  // v3: where the unfinished epoch stands (0, 0 at an epoch's start) and the dropout masks' generator; from a v2
  // file, an epoch's start and the generator as the seed starts it.
  uint32_t samples_into_epoch = 0, batches_into_epoch = 0;
  bool has_dropout_state = false;
  std::array<uint32_t, 4> dropout_state{};
};

// With state.present, the layers' optimizer buffers for state.kind go in too (zeros where the network holds
// none). No step may be owed (Network::has_deferred_steps).
std::vector<uint8_t> save_model(const Network& network, const OptimizerState& state = {});

// Parses and checks a model file; on success *out holds a new network with the file's weights (and its
// optimizer buffers, described in *state, if it has them). A truncated, corrupted or unsupported file gives an
// error naming what is wrong.
Status load_model(const uint8_t* data, size_t size, std::unique_ptr<Network>* out, OptimizerState* state = nullptr);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace scratchnet
