// What the engine's buffers take, counted before anything is allocated. wasm32's heap stops at 2 GiB, and an
// allocation that fails there returns null, which a buffer would then be written through: so a model, a batch
// size, a data set or a predict that would not fit is refused up front, with the figures, and the engine stays
// as it was. The same limit holds in every build (native ones too), so that a request behaves alike everywhere.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "optimizer.h"

namespace scratchnet {

// The most a wasm32 module's memory can grow to (Emscripten's heap maximum with memory growth).
constexpr uint64_t kHeapLimitBytes = uint64_t{2} << 30;
// Held back for what is not counted: the module's code, data and stack, the kernels' gathered panels and the
// allocator's own overhead and fragmentation.
constexpr uint64_t kUncountedBytes = uint64_t{96} << 20;
// What the counted buffers may take in all.
constexpr uint64_t kCountedLimitBytes = kHeapLimitBytes - kUncountedBytes;

// The bytes a network of these layer sizes holds to predict (weights, biases, and the forward pass's
// activations for `forward_batch` samples).
uint64_t inference_bytes(const std::vector<int>& sizes, int forward_batch);
// The bytes training it adds at this batch size and optimizer: the optimizer's state, the snapshot of the
// parameters the trainer rolls back to, the gradients and transposes of a step, and the trainer's two batches
// (the forward pass at the batch size is inference_bytes(sizes, batch)).
uint64_t training_bytes(const std::vector<int>& sizes, int batch, OptimizerKind optimizer);

// "1.4 GB", "620 MB", "12 KB": decimal units, as a person reads them.
std::string format_bytes(uint64_t bytes);

}  // namespace scratchnet
