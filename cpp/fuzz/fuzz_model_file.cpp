// libFuzzer target: the model file (load_model, save_model). Beyond "no crash" under ASan and UBSan it checks that
//   - a refused file leaves the caller's network and state alone, with a message that says "model file: ...";
//   - a current-version (3) file that loads saves back to the very same bytes: save(load(x)) == x, so a
//     model file never loses or invents anything; an older one (1, 2) saves as a version 3 file that loads
//     and is a fixed point from then on;
//   - a loaded model predicts: Network::forward on a small batch matches a double-precision forward pass of
//     the file's weights within a rounding bound (when the values stay in float range), probabilities in [0, 1];
//   - it trains: one step of its own optimizer (SGD when the file has no state) reports finite only when every
//     parameter is finite, and the trained model saves with its state and loads back bit for bit.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "model_file.h"
#include "network.h"
#include "fuzz_check.h"

using namespace scratchnet;

namespace {

constexpr int kBatch = 3;

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

bool same_bits(const FloatBuffer& a, const FloatBuffer& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), 4 * a.size()) == 0;
}

bool all_finite(const FloatBuffer& values) {
  for (float v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

void check_same_weights(const Network& a, const Network& b) {
  CHECK(a.config().sizes == b.config().sizes && a.config().output == b.config().output);
  CHECK(a.input_rows() == b.input_rows() && a.input_cols() == b.input_cols());
  CHECK(a.input_scaling().kind == b.input_scaling().kind && a.input_scaling().scale == b.input_scaling().scale &&
        a.input_scaling().offset == b.input_scaling().offset);
  for (size_t l = 0; l < a.layers().size(); ++l)
    CHECK(same_bits(a.layers()[l].weights, b.layers()[l].weights) && same_bits(a.layers()[l].bias, b.layers()[l].bias));
}

// Network::forward against the same pass in double, with a bound on float32's rounding (any summation order):
// per output, |Δ| ≤ Σ|w|·|Δ input| + (in + 2)·2^-23·Σ|terms| + 2^-23·|value| + (2·in + 2)·2^-149 (underflow). Only
// where nothing leaves float range.
void check_forward(Network& net, const std::vector<float>& x) {
  const float* probs = net.forward(kBatch, x.data());
  const auto& sizes = net.config().sizes;
  const int C = sizes.back();
  for (int b = 0; b < kBatch; ++b) {
    std::vector<double> a(x.begin() + b * sizes[0], x.begin() + (b + 1) * sizes[0]), err(sizes[0], 0.0);
    bool bounded = true;
    for (double v : a) bounded &= std::isfinite(v);
    for (size_t l = 0; bounded && l + 1 < sizes.size(); ++l) {
      const DenseLayer& layer = net.layers()[l];
      const int in = sizes[l], out = sizes[l + 1];
      std::vector<double> value(out), bound(out);
      for (int j = 0; j < out; ++j) {
        double sum = layer.bias[j], magnitude = std::fabs(layer.bias[j]), carried = 0;
        for (int k = 0; k < in; ++k) {
          const double w = layer.weights[static_cast<size_t>(k) * out + j];
          sum += a[k] * w;
          magnitude += std::fabs(a[k] * w);
          carried += std::fabs(w) * err[k];
        }
        const bool hidden = l + 2 < sizes.size();
        value[j] = hidden ? std::max(sum, 0.0) : sum;
        // Relative rounding, and what underflow to float's subnormals loses (up to 2^-149 an operation, whatever
        // the size of the value: a relative bound alone failed on tiny activations times huge weights).
        bound[j] = carried + (in + 2) * 0x1p-23 * magnitude + 0x1p-23 * std::fabs(sum) + (2 * in + 2) * 0x1p-149;
        bounded &= magnitude < 1e30 && std::isfinite(bound[j]);
      }
      a.swap(value);
      err.swap(bound);
    }
    if (!bounded) continue;
    // Probabilities from the logits in a, each off by at most err.
    const float* p = probs + static_cast<size_t>(b) * C;
    double top = a[0], max_err = 0, sum_p = 0, total = 0;
    for (int c = 0; c < C; ++c) top = std::max(top, a[c]), max_err = std::max(max_err, err[c]);
    for (int c = 0; c < C; ++c) total += std::exp(a[c] - top);
    for (int c = 0; c < C; ++c) {
      const bool sigmoid = net.config().output == OutputLoss::kSigmoidL2;
      const double want = sigmoid ? 1 / (1 + std::exp(-a[c])) : std::exp(a[c] - top) / total;
      const double tolerance = (sigmoid ? err[c] / 4 : 2 * max_err) + 1e-5 + C * 2e-7;
      CHECK(std::isfinite(p[c]) && p[c] >= 0 && p[c] <= 1);
      if (std::fabs(p[c] - want) > tolerance) {
        std::fprintf(stderr, "sample %d output %d: %.9g, a double-precision pass gives %.9g (tolerance %.3g)\n", b, c,
                     p[c], want, tolerance);
        CHECK(false);
      }
      sum_p += p[c];
    }
    if (net.config().output == OutputLoss::kSoftmaxCrossEntropy) CHECK(std::fabs(sum_p - 1) <= 1e-4 + C * 1e-6);
  }
}

// One step of the file's optimizer (SGD without state), then a save with state that must load back as it was.
void check_training(Network& net, const std::vector<float>& x, const OptimizerState& loaded) {
  StepRule rule;
  rule.optimizer = loaded.present ? loaded.kind : OptimizerKind::kSgd;
  rule.learning_rate = rule.optimizer == OptimizerKind::kSgd ? 0.05f : 0.001f;
  rule.weight_decay = rule.optimizer == OptimizerKind::kAdamW ? 0.01f : 0.f;
  rule.t = static_cast<uint32_t>(std::min<uint64_t>(loaded.batches + 1, UINT32_MAX));
  uint8_t labels[kBatch];
  for (int b = 0; b < kBatch; ++b) labels[b] = static_cast<uint8_t>(b % net.output_size());
  const BatchResult result = net.train_batch(kBatch, x.data(), labels, rule);
  CHECK(!net.has_deferred_steps());  // no NextBatch: every weight is up to date

  bool finite = true;
  for (const auto& layer : net.layers()) finite &= all_finite(layer.weights) && all_finite(layer.bias);
  if (result.finite) CHECK(finite && std::isfinite(result.loss));
  for (const auto& layer : net.layers())
    for (const FloatBuffer* buffer : layer.optimizer_state_if_any(rule.optimizer)) finite &= !buffer || all_finite(*buffer);
  if (!finite) return;  // the file would be refused, rightly

  OptimizerState state = loaded;
  state.present = true;
  state.kind = rule.optimizer;
  state.batches = loaded.batches + 1;
  state.dropout_state = net.dropout_generator_state();
  const std::vector<uint8_t> saved = save_model(net, state);
  std::unique_ptr<Network> again;
  OptimizerState again_state;
  const Status s = load_model(saved.data(), saved.size(), &again, &again_state);
  if (!s.ok()) std::fprintf(stderr, "a trained model's file is refused: %s\n", s.error.c_str());
  CHECK(s.ok());
  check_same_weights(net, *again);
  CHECK(again_state.kind == state.kind && again_state.batches == state.batches &&
        again_state.dropout_state == state.dropout_state);
  for (size_t l = 0; l < net.layers().size(); ++l) {
    const auto mine = net.layers()[l].optimizer_state_if_any(state.kind);
    const auto theirs = again->layers()[l].optimizer_state_if_any(state.kind);
    for (size_t i = 0; i < mine.size(); ++i) {
      CHECK(theirs[i]);
      if (mine[i]) {
        CHECK(same_bits(*mine[i], *theirs[i]));
      } else {  // none held (the step stopped at a non-finite loss): saved as zeros
        for (float v : *theirs[i]) CHECK(v == 0.f && !std::signbit(v));
      }
    }
  }
}

// Every check above on one file.
void check_file(const uint8_t* data, size_t size) {
  std::unique_ptr<Network> net;
  OptimizerState state;
  state.seed = 0x5eed;  // a sentinel: a refused file must not touch it
  const Status s = load_model(data, size, &net, &state);
  if (!s.ok()) {
    CHECK(s.error.rfind("model file: ", 0) == 0);
    CHECK(!net && state.seed == 0x5eed && !state.present);
    return;
  }
  CHECK(net);
  const uint32_t version = le32(data + 4);
  CHECK(version >= 1 && version <= kModelFormatVersion);
  CHECK(net->input_scaling().inputs() == net->input_size());

  // save(load(x)) == x for a current file; an older one becomes one that is.
  const std::vector<uint8_t> saved = save_model(*net, state);
  if (version == kModelFormatVersion) {
    CHECK(saved.size() == size && std::memcmp(saved.data(), data, size) == 0);
  } else {
    std::unique_ptr<Network> again;
    OptimizerState again_state;
    const Status r = load_model(saved.data(), saved.size(), &again, &again_state);
    if (!r.ok()) std::fprintf(stderr, "a version %u file, saved again, is refused: %s\n", version, r.error.c_str());
    CHECK(r.ok());
    check_same_weights(*net, *again);
    CHECK(save_model(*again, again_state) == saved);
  }

  // Predicts: pixels that cover 0 and 255, through the model's own input scaling.
  const int inputs = net->input_size();
  std::vector<uint8_t> pixels(static_cast<size_t>(kBatch) * inputs);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 3 == 0 ? 0 : i * 97 + 255);
  std::vector<float> x(pixels.size());
  for (int b = 0; b < kBatch; ++b)
    net->input_scaling().apply(pixels.data() + static_cast<size_t>(b) * inputs, x.data() + static_cast<size_t>(b) * inputs,
                               nullptr);
  check_forward(*net, x);
  check_training(*net, x, state);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_file(data, size);
  // The same bytes with a checksum that fits them: a mutation almost always breaks the CRC, and the checks
  // behind it are what needs the fuzzing.
  if (size >= 8) {
    std::vector<uint8_t> sealed(data, data + size);
    const uint32_t crc = crc32(sealed.data(), size - 4);
    if (crc != le32(data + size - 4)) {
      for (int i = 0; i < 4; ++i) sealed[size - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
      check_file(sealed.data(), size);
    }
  }
  return 0;
}
