#include "memory_budget.h"

#include <algorithm>
#include <cstdio>

#include "network.h"

namespace scratchnet {

namespace {
constexpr uint64_t kFloat = sizeof(float);

// The units of size l as computed, dead ones included (network.h: computed_size).
uint64_t units(const std::vector<int>& sizes, size_t l) { return static_cast<uint64_t>(computed_size(sizes, l)); }

uint64_t parameters(const std::vector<int>& sizes) {
  uint64_t total = 0;
  for (size_t l = 1; l < sizes.size(); ++l) total += units(sizes, l - 1) * units(sizes, l) + units(sizes, l);
  return total;
}

// The first layer's buffers around an input background (DenseLayer::input_background), which the trainer may fit
// to any training set: rows of [x − c; c] and of their product with W, for `batch` + 1 rows; a forward's ([x − c; c],
// its product and b + c·W) and those a training step adds (the next batch's [x − c; c], and [dy; Σ dy]).
uint64_t background_bytes(const std::vector<int>& sizes, int batch, bool training) {
  if (sizes.size() < 2) return 0;
  const uint64_t rows = static_cast<uint64_t>(batch) + 1, row_bytes = kFloat * (sizes[0] + units(sizes, 1));
  return rows * row_bytes + (training ? 0 : kFloat * units(sizes, 1));
}
}  // namespace

uint64_t inference_bytes(const std::vector<int>& sizes, int forward_batch) {
  // Network::ensure_forward_workspace: each layer's output and the logits, for the batch.
  uint64_t activations = 0;
  for (size_t l = 1; l < sizes.size(); ++l) activations += static_cast<uint64_t>(forward_batch) * units(sizes, l);
  if (!sizes.empty()) activations += static_cast<uint64_t>(forward_batch) * sizes.back();
  return kFloat * (parameters(sizes) + activations) + background_bytes(sizes, forward_batch, false);
}

uint64_t training_bytes(const std::vector<int>& sizes, int batch, OptimizerKind optimizer) {
  if (sizes.empty()) return 0;
  const uint64_t P = parameters(sizes), B = static_cast<uint64_t>(batch);
  const uint64_t state = P * (optimizer == OptimizerKind::kSgd ? 1 : 2);  // velocity, or Adam's two moments
  const uint64_t snapshot = P;                                            // Trainer::take_checkpoint
  // Network::ensure_training_workspace: two gradients of the widest layer, and the transposes (every layer's
  // input [in×B]; Wᵀ [out×in] for all but the first).
  uint64_t widest = 0, scratch = 0;
  for (size_t l = 0; l < sizes.size(); ++l) widest = std::max(widest, units(sizes, l));
  for (size_t l = 1; l < sizes.size(); ++l) {
    const uint64_t in = units(sizes, l - 1), out = units(sizes, l);
    scratch = std::max(scratch, in * B);
    if (l > 1) scratch = std::max(scratch, in * out);
  }
  // Trainer: the step's batch and the next one, drawn as floats.
  const uint64_t batches = 2 * B * static_cast<uint64_t>(sizes.front());
  // Network::forward_pass: the next batch's first-layer output, set aside while an inference runs between calls.
  const uint64_t held = sizes.size() > 2 ? B * units(sizes, 1) : 0;
  return kFloat * (state + snapshot + 2 * B * widest + scratch + batches + held) + background_bytes(sizes, batch, true);
}

std::string format_bytes(uint64_t bytes) {
  // Rounded to the unit shown, as "%.1f GB", "%.0f MB" and "%.0f KB" would be (printf is left out of the module).
  if (bytes >= 1000000000ull) {
    const uint64_t tenths = (bytes + 50000000ull) / 100000000ull;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " GB";
  }
  if (bytes >= 1000000ull) return std::to_string((bytes + 500000ull) / 1000000ull) + " MB";
  return std::to_string((bytes + 500ull) / 1000ull) + " KB";
}

}  // namespace scratchnet
