// The padding of hidden layers whose rows of weights would lie a whole number of 4 KB apart (network.h:
// computed_size): dead units that change no result, stay zero whatever trains them, and never reach a model file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "activations.h"
#include "dense_layer.h"
#include "model_file.h"
#include "network.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using scratchnet_test::random_floats;

// Inputs with about half of them zero, as the sparse kernels meet them.
std::vector<float> half_zero_inputs(Rng& rng, size_t n) {
  std::vector<float> x = random_floats(rng, n, -1.f, 1.f);
  for (float& v : x) v = v < 0.f ? 0.f : v;
  return x;
}

std::vector<uint8_t> labels_for(Rng& rng, int B, int classes) {
  std::vector<uint8_t> labels(B);
  for (auto& label : labels) label = static_cast<uint8_t>(rng.next_u32() % classes);
  return labels;
}

// Every entry of a layer-shaped buffer outside the used rows and columns (or, for a bias, past used_out) is zero.
::testing::AssertionResult padding_is_zero(const DenseLayer& layer, const FloatBuffer& buffer, bool weights_shaped) {
  const int rows = weights_shaped ? layer.in : 1;
  for (int k = 0; k < rows; ++k)
    for (int j = 0; j < layer.out; ++j) {
      const bool used = j < layer.used_out && (!weights_shaped || k < layer.used_in);
      const float value = buffer[static_cast<size_t>(k) * layer.out + j];
      if (!used && value != 0.f)
        return ::testing::AssertionFailure() << "padding [" << k << "][" << j << "] holds " << value;
    }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult network_padding_is_zero(const Network& net, OptimizerKind kind) {
  for (const DenseLayer& layer : net.layers()) {
    if (auto r = padding_is_zero(layer, layer.weights, true); !r) return r << " (weights)";
    if (auto r = padding_is_zero(layer, layer.bias, false); !r) return r << " (bias)";
    int i = 0;
    for (const FloatBuffer* state : layer.optimizer_state_if_any(kind)) {
      if (state)
        if (auto r = padding_is_zero(layer, *state, i % 2 == 0); !r) return r << " (optimizer state " << i << ")";
      ++i;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(NetworkPadding, PadsOnlyHiddenLayersWhoseRowsAreWholePages) {
  EXPECT_EQ(computed_size({784, 2048, 10}, 1), 2048 + kPaddingUnits);
  EXPECT_EQ(computed_size({784, 100, 3072, 10}, 2), 3072 + kPaddingUnits);
  // An input or output layer: its size is the data's.
  EXPECT_EQ(computed_size({2048, 100, 2048}, 0), 2048);
  EXPECT_EQ(computed_size({2048, 100, 2048}, 2), 2048);
  for (int units : {512, 1000, 1040, 100, 1}) EXPECT_EQ(computed_size({784, units, 10}, 1), units);
  NetworkConfig config;  // the default network
  const Network net(config);
  EXPECT_EQ(net.layers()[0].out, 2048 + kPaddingUnits);
  EXPECT_EQ(net.layers()[0].used_out, 2048);
  EXPECT_EQ(net.layers()[1].in, 2048 + kPaddingUnits);
  EXPECT_EQ(net.layers()[1].used_in, 2048);
  EXPECT_EQ(net.parameter_count(), size_t{784 * 2048 + 2048 + 2048 * 10 + 10});
  EXPECT_TRUE(network_padding_is_zero(net, OptimizerKind::kSgd));
}

// A 20-1024-4 network (its hidden layer computed 1040 wide) beside the same layers unpadded, run by hand the way
// Network::train_batch runs them (sigmoid outputs, L2 loss, SGD with momentum): the same bits, step after step.
TEST(NetworkPadding, TrainsToTheSameBitsAsTheLayersUnpadded) {
  constexpr int F = 20, H = 1024, C = 4, B = 8;
  constexpr float kRate = 0.05f, kMomentum = 0.9f;
  NetworkConfig config;
  config.sizes = {F, H, C};
  Network net(config);
  ASSERT_EQ(net.layers()[0].out, H + kPaddingUnits);
  std::vector<float> params;
  net.copy_parameters_to(params);
  DenseLayer hidden(F, H), output(H, C);
  const float* from = params.data();
  for (DenseLayer* layer : {&hidden, &output})
    for (FloatBuffer* part : {&layer->weights, &layer->bias}) {
      std::copy(from, from + part->size(), part->begin());
      from += part->size();
    }
  ASSERT_EQ(from, params.data() + params.size());

  Rng rng(11);
  for (int step = 0; step < 4; ++step) {
    const std::vector<float> x = half_zero_inputs(rng, static_cast<size_t>(B) * F);
    const std::vector<uint8_t> labels = labels_for(rng, B, C);
    const BatchResult result = net.train_batch(B, x.data(), labels.data(), kRate, kMomentum);

    std::vector<float> h(B * H), logits(B * C), probs(B * C), dprobs(B * C), dlogits(B * C), dh(B * H);
    std::vector<float> scratch(static_cast<size_t>(H) * B);
    hidden.forward(B, x.data(), h.data(), /*relu=*/true);
    output.forward(B, h.data(), logits.data());
    sigmoid_forward(probs.size(), logits.data(), probs.data());
    const double loss = l2_loss_forward_backward(B, C, probs.data(), labels.data(), dprobs.data(), 0.f);
    sigmoid_backward(probs.size(), probs.data(), dprobs.data(), dlogits.data());
    output.backward_and_step(B, h.data(), dlogits.data(), dh.data(), scratch.data(), kRate, kMomentum, true);
    hidden.backward_and_step(B, x.data(), dh.data(), nullptr, scratch.data(), kRate, kMomentum, true);

    EXPECT_EQ(result.loss, loss) << "step " << step;
    std::vector<float> got, expected;
    net.copy_parameters_to(got);
    for (const DenseLayer* layer : {&hidden, &output})
      for (const FloatBuffer* part : {&layer->weights, &layer->bias}) expected.insert(expected.end(), part->begin(), part->end());
    ASSERT_EQ(got, expected) << "step " << step;
  }
  EXPECT_TRUE(network_padding_is_zero(net, OptimizerKind::kSgd));
}

// Every optimizer, weight decay, dropout, and the fused step with the next batch's forward and deferred rows: the
// dead units' weights, biases and optimizer state never leave zero.
TEST(NetworkPadding, DeadUnitsStayZeroUnderEveryOptimizer) {
  constexpr int F = 40, C = 5, B = 6;
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    NetworkConfig config;
    config.sizes = {F, 1024, 2048, C};
    config.output = OutputLoss::kSoftmaxCrossEntropy;
    Network net(config);
    net.set_dropout(0.3f);
    StepRule rule;
    rule.optimizer = kind;
    rule.learning_rate = kind == OptimizerKind::kSgd ? 0.05f : 0.001f;
    rule.weight_decay = 0.01f;
    Rng rng(12);
    std::vector<float> x = half_zero_inputs(rng, static_cast<size_t>(B) * F);
    for (int step = 0; step < 5; ++step) {
      const std::vector<uint8_t> labels = labels_for(rng, B, C);
      const std::vector<float> next_x = half_zero_inputs(rng, static_cast<size_t>(B) * F);
      std::vector<uint8_t> used(F, 0);
      for (int b = 0; b < B; ++b)
        for (int k = 0; k < F; ++k) used[k] |= next_x[static_cast<size_t>(b) * F + k] != 0.f;
      NextBatch next;
      next.size = B;
      next.x = next_x.data();
      next.inputs_used = used.data();
      rule.t = static_cast<uint32_t>(step + 1);
      const BatchResult result = net.train_batch(B, x.data(), labels.data(), rule, &next);
      ASSERT_TRUE(result.finite && std::isfinite(result.loss)) << optimizer_name(kind) << " step " << step;
      x = next_x;
    }
    net.catch_up_deferred_steps();
    EXPECT_TRUE(network_padding_is_zero(net, kind)) << optimizer_name(kind);
  }
}

TEST(NetworkPadding, ModelFileHoldsTheUsedParametersOnly) {
  NetworkConfig config;
  config.sizes = {20, 1024, 4};
  Network net(config);
  Rng rng(13);
  const std::vector<float> x = half_zero_inputs(rng, 8 * 20);
  const std::vector<uint8_t> labels = labels_for(rng, 8, 4);
  net.train_batch(8, x.data(), labels.data(), 0.05f, 0.9f);

  OptimizerState state;
  state.present = true;
  state.kind = OptimizerKind::kSgd;
  const std::vector<uint8_t> bytes = save_model(net, state);
  // Beside an unpadded network of other sizes, the file differs by the parameters (and their velocities) alone.
  config.sizes = {20, 1000, 4};
  const std::vector<uint8_t> unpadded = save_model(Network(config), state);
  EXPECT_EQ(bytes.size() - unpadded.size(), 2 * 4 * (net.parameter_count() - Network(config).parameter_count()));

  std::unique_ptr<Network> loaded;
  OptimizerState loaded_state;
  ASSERT_TRUE(load_model(bytes.data(), bytes.size(), &loaded, &loaded_state).ok());
  std::vector<float> a, b;
  net.copy_parameters_to(a);
  loaded->copy_parameters_to(b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(net.layers()[0].weight_velocity, loaded->layers()[0].weight_velocity);
  EXPECT_TRUE(network_padding_is_zero(*loaded, OptimizerKind::kSgd));
  EXPECT_EQ(save_model(*loaded, loaded_state), bytes);
  const float* p = net.forward(8, x.data());
  const std::vector<float> original(p, p + 8 * 4);
  const float* q = loaded->forward(8, x.data());
  EXPECT_EQ(std::vector<float>(q, q + 8 * 4), original);
}

TEST(NetworkPadding, ReadersSeeTheUsedUnitsAndACheckpointClearsThePadding) {
  NetworkConfig config;
  config.sizes = {12, 2048, 3};
  Network net(config);
  std::vector<float> params;
  net.copy_parameters_to(params);
  ASSERT_EQ(params.size(), net.parameter_count());
  // The first layer's weights into units 0..2047, as the UI's tiles read them: [unit × input].
  std::vector<float> tiles(static_cast<size_t>(2048) * 12);
  net.first_layer_weights(2048, tiles.data());
  for (int unit = 0; unit < 2048; unit += 409)
    for (int input = 0; input < 12; ++input)
      EXPECT_EQ(tiles[static_cast<size_t>(unit) * 12 + input], params[static_cast<size_t>(input) * 2048 + unit]);
  // A diverged step can leave NaN in the padding (0·∞); restoring a checkpoint clears it.
  std::vector<float> checkpoint;
  net.snapshot_parameters(checkpoint);
  DenseLayer& first = net.layers()[0];
  first.weights[static_cast<size_t>(3) * first.out + 2050] = std::numeric_limits<float>::quiet_NaN();
  first.bias[2060] = std::numeric_limits<float>::infinity();
  net.layers()[1].weights[static_cast<size_t>(2055) * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
  net.restore_parameters(checkpoint);
  EXPECT_TRUE(network_padding_is_zero(net, OptimizerKind::kSgd));
  std::vector<float> again;
  net.copy_parameters_to(again);
  EXPECT_EQ(again, params);
}

}  // namespace
