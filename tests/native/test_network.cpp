// Network: copies, seeds and parameters, its outputs, and what train_batch does with an update that
// overflows or a loss that is not finite. Its gradients are checked in test_gradients.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "network.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using scratchnet_test::random_floats;

TEST(Network, CopyIsIndependentAndComputesTheSame) {
  NetworkConfig config;
  config.sizes = {6, 5, 3};
  config.output = OutputLoss::kSoftmaxCrossEntropy;
  Network net(config);
  Network copy = net;
  Rng rng(9);
  const std::vector<float> x = random_floats(rng, 2 * 6, 0.f, 1.f);
  const float* p = net.forward(2, x.data());
  const std::vector<float> out(p, p + 2 * 3);
  const float* q = copy.forward(2, x.data());
  const std::vector<float> copy_out(q, q + 2 * 3);
  EXPECT_EQ(out, copy_out);
  const std::vector<uint8_t> labels = {0, 2};
  net.train_batch(2, x.data(), labels.data(), 0.5f, 0.f);
  EXPECT_NE(net.layers()[0].weights, copy.layers()[0].weights);
  EXPECT_EQ(copy.layers()[0].weights, Network(config).layers()[0].weights);
}

TEST(Network, SameSeedSameWeightsDifferentSeedDifferentWeights) {
  NetworkConfig config;
  config.sizes = {8, 6, 3};
  config.seed = 5;
  std::vector<float> a, b, c;
  Network(config).copy_parameters_to(a);
  Network(config).copy_parameters_to(b);
  config.seed = 6;
  Network(config).copy_parameters_to(c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), Network(config).parameter_count());
  EXPECT_EQ(a.size(), size_t{8 * 6 + 6 + 6 * 3 + 3});
}

TEST(Network, CopyParametersRoundTrips) {
  NetworkConfig config;
  config.sizes = {4, 3, 2};
  Network net(config);
  std::vector<float> params;
  net.copy_parameters_to(params);
  std::vector<float> changed = params;
  for (size_t i = 0; i < changed.size(); ++i) changed[i] = static_cast<float>(i) * 0.25f;
  net.copy_parameters_from(changed);
  // Layer by layer, weights then bias.
  EXPECT_EQ(net.layers()[0].weights[0], 0.f);
  EXPECT_EQ(net.layers()[0].bias[0], 12 * 0.25f);
  EXPECT_EQ(net.layers()[1].weights[0], 15 * 0.25f);
  std::vector<float> back;
  net.copy_parameters_to(back);
  EXPECT_EQ(back, changed);
}

TEST(Network, OutputsAreProbabilities) {
  Rng rng(10);
  const std::vector<float> x = random_floats(rng, 3 * 6, 0.f, 1.f);
  for (OutputLoss output : {OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy}) {
    NetworkConfig config;
    config.sizes = {6, 5, 4};
    config.output = output;
    Network net(config);
    const float* probs = net.forward(3, x.data());
    for (int b = 0; b < 3; ++b) {
      double sum = 0;
      for (int c = 0; c < 4; ++c) {
        EXPECT_GT(probs[b * 4 + c], 0.f);
        EXPECT_LT(probs[b * 4 + c], 1.f);
        sum += probs[b * 4 + c];
      }
      if (output == OutputLoss::kSoftmaxCrossEntropy) {
        EXPECT_NEAR(sum, 1.0, 1e-5);
      }
    }
  }
}

TEST(Network, TrainBatchReportsAnUpdateThatOverflows) {
  // The loss is finite but lr·g overflows: the step must say so (the trainer rolls back on it).
  NetworkConfig config;
  config.sizes = {4, 3, 2};
  config.output = OutputLoss::kSoftmaxCrossEntropy;
  Network net(config);
  // Large inputs give large gradients (softmax's are otherwise below 1, too small to overflow lr·g).
  const std::vector<float> x = {1000.f, 500.f, 250.f, 1000.f, 0.f, 1000.f, 500.f, 250.f};
  const std::vector<uint8_t> labels = {0, 1};
  const BatchResult result = net.train_batch(2, x.data(), labels.data(), 3e38f, 0.f);
  EXPECT_TRUE(std::isfinite(result.loss));
  EXPECT_FALSE(result.finite);
}

TEST(Network, ANonFiniteLossSkipsTheUpdate) {
  // Weights so large the forward pass overflows: the loss is NaN and no parameter may be touched.
  NetworkConfig config;
  config.sizes = {4, 3, 2};
  config.output = OutputLoss::kSoftmaxCrossEntropy;
  Network net(config);
  // Every hidden unit is +inf; the output weights of both signs then make the logits inf and NaN.
  for (float& w : net.layers()[0].weights) w = 3e38f;
  for (float& w : net.layers()[1].weights) w = w > 0 ? 3e38f : -3e38f;
  std::vector<float> before, after;
  net.copy_parameters_to(before);
  const std::vector<float> x = {1.f, 1.f, 1.f, 1.f};
  const uint8_t label = 1;
  const BatchResult result = net.train_batch(1, x.data(), &label, 0.1f, 0.f);
  EXPECT_FALSE(result.finite);
  EXPECT_FALSE(std::isfinite(result.loss));
  net.copy_parameters_to(after);
  EXPECT_EQ(after, before);
}

TEST(Network, AFreshNetworkGivesEveryClassItsPriorOnABlankInput) {
  // Blank input, zero hidden biases: the outputs are the output biases' doing. Softmax starts uniform;
  // sigmoid outputs start at the class prior 1/C (not 1/2), as network.cpp initialises them.
  for (OutputLoss output : {OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy}) {
    NetworkConfig config;
    config.sizes = {6, 5, 10};
    config.output = output;
    Network net(config);
    const std::vector<float> blank(6, 0.f);
    const float* probs = net.forward(1, blank.data());
    for (int c = 0; c < 10; ++c) EXPECT_NEAR(probs[c], 0.1f, 1e-6) << output_loss_name(output) << " class " << c;
  }
}

TEST(Network, ArgmaxPicksTheFirstLargest) {
  const float scores[] = {0.1f, 0.7f, 0.3f, 0.7f};
  EXPECT_EQ(argmax(scores, 4), 1);
  EXPECT_EQ(argmax(scores, 1), 0);
}

}  // namespace
