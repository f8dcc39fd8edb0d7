// Deferred momentum steps through the layer and the network (kernels.h: DeferredSteps): a run that lets
// first-layer rows wait while their input is zero ends where a run that steps every row does, up to float
// rounding; nothing reads a weight that still owes a step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "dense_layer.h"
#include "network.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using scratchnet_test::random_floats;

constexpr int kInputs = 48, kBatch = 8;

// A batch whose inputs are zero outside a random band of features, like the border of an MNIST digit.
struct Batch {
  std::vector<float> x;
  std::vector<uint8_t> labels, used;  // used[k]: some sample's input k is non-zero
};

Batch make_batch(Rng& rng, int classes) {
  Batch batch{std::vector<float>(kBatch * kInputs, 0.f), std::vector<uint8_t>(kBatch), std::vector<uint8_t>(kInputs, 0)};
  const int first = static_cast<int>(rng.uniform() * kInputs / 2), width = 6 + static_cast<int>(rng.uniform() * 10);
  for (int b = 0; b < kBatch; ++b) {
    batch.labels[b] = static_cast<uint8_t>(rng.uniform() * classes) % classes;
    for (int k = first; k < first + width && k < kInputs; ++k)
      if (rng.uniform() < 0.6f) batch.x[b * kInputs + k] = rng.uniform();
  }
  for (int b = 0; b < kBatch; ++b)
    for (int k = 0; k < kInputs; ++k) batch.used[k] |= batch.x[b * kInputs + k] != 0.f;
  return batch;
}

template <class Floats>
void expect_close(const Floats& a, const Floats& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5 * (1 + std::fabs(b[i]))) << what << " " << i;
}

TEST(DeferredSteps, ANetworkTrainedWithThemEndsWhereOneSteppingEveryRowDoes) {
  NetworkConfig config;
  config.sizes = {kInputs, 32, 5};
  config.seed = 4;
  Network lazy(config), eager(config);
  Rng rng(9);
  std::vector<Batch> batches;
  for (int i = 0; i < 40; ++i) batches.push_back(make_batch(rng, 5));
  bool deferred_some = false;
  for (size_t i = 0; i < batches.size(); ++i) {
    const Batch& batch = batches[i];
    // The next batch in full: its rows may wait, and the step runs its first layer's forward too.
    NextBatch following;
    const NextBatch* next = nullptr;
    if (i + 1 < batches.size()) {
      following = NextBatch{kBatch, batches[i + 1].x.data(), batches[i + 1].used.data()};
      next = &following;
    }
    const BatchResult a = lazy.train_batch(kBatch, batch.x.data(), batch.labels.data(), 0.5f, 0.9f, next);
    const BatchResult b = eager.train_batch(kBatch, batch.x.data(), batch.labels.data(), 0.5f, 0.9f);
    ASSERT_TRUE(a.finite && b.finite);
    ASSERT_NEAR(a.loss, b.loss, 1e-5) << "batch " << i << ": the forward pass read a weight that owed a step";
    ASSERT_EQ(lazy.has_deferred_steps(), next != nullptr);
    for (uint32_t p : lazy.layers()[0].deferred_steps) deferred_some |= p > 0;
  }
  EXPECT_TRUE(deferred_some) << "no row ever waited: this test would not see the deferral";
  std::vector<float> lazy_parameters, eager_parameters;
  lazy.copy_parameters_to(lazy_parameters);
  eager.copy_parameters_to(eager_parameters);
  expect_close(lazy_parameters, eager_parameters, "parameter");
  expect_close(lazy.layers()[0].weight_velocity, eager.layers()[0].weight_velocity, "velocity");
}

TEST(DeferredSteps, ForwardAndCatchUpSettleWhatIsOwed) {
  NetworkConfig config;
  config.sizes = {kInputs, 16, 3};
  Network lazy(config), eager(config);
  Rng rng(10);
  const Batch first = make_batch(rng, 3), second = make_batch(rng, 3);
  // Declare an empty next batch: every row with a zero input waits.
  const std::vector<uint8_t> nothing_next(kInputs, 0);
  const NextBatch next{kBatch, nullptr, nothing_next.data()};
  for (int i = 0; i < 3; ++i) {
    lazy.train_batch(kBatch, first.x.data(), first.labels.data(), 0.3f, 0.8f, &next);
    eager.train_batch(kBatch, first.x.data(), first.labels.data(), 0.3f, 0.8f);
  }
  ASSERT_TRUE(lazy.has_deferred_steps());
  // A forward pass over inputs the deferred rows do read must see them up to date.
  const std::vector<float> lazy_out(lazy.forward(kBatch, second.x.data()), lazy.forward(kBatch, second.x.data()) + kBatch * 3);
  const std::vector<float> eager_out(eager.forward(kBatch, second.x.data()), eager.forward(kBatch, second.x.data()) + kBatch * 3);
  EXPECT_FALSE(lazy.has_deferred_steps());
  expect_close(lazy_out, eager_out, "output");
  expect_close(lazy.layers()[0].weights, eager.layers()[0].weights, "weight");
}

TEST(DeferredSteps, ANewLearningRateSettlesTheOwedStepsAtTheOldOne) {
  DenseLayer lazy(kInputs, 12), eager(kInputs, 12);
  Rng rng(11);
  lazy.init_he(rng);
  eager.weights = lazy.weights;
  const std::vector<uint8_t> nothing_next(kInputs, 0);
  std::vector<float> scratch(kInputs * 12 + kInputs * kBatch);
  for (int i = 0; i < 6; ++i) {
    const Batch batch = make_batch(rng, 2);
    const std::vector<float> dy = random_floats(rng, kBatch * 12, -0.2f, 0.2f);
    const float lr = i < 3 ? 0.1f : 0.4f, momentum = i < 3 ? 0.9f : 0.5f;
    ASSERT_TRUE(lazy.backward_and_step(kBatch, batch.x.data(), dy.data(), nullptr, scratch.data(), lr, momentum, false,
                                       i + 1 < 6 ? nothing_next.data() : nullptr));
    ASSERT_TRUE(eager.backward_and_step(kBatch, batch.x.data(), dy.data(), nullptr, scratch.data(), lr, momentum));
  }
  EXPECT_FALSE(lazy.has_deferred_steps());
  expect_close(lazy.weights, eager.weights, "weight");
  expect_close(lazy.weight_velocity, eager.weight_velocity, "velocity");
}

TEST(DeferredSteps, ResettingVelocitiesForgetsOwedSteps) {
  DenseLayer layer(kInputs, 4);
  Rng rng(12);
  layer.init_he(rng);
  const Batch batch = make_batch(rng, 2);
  const std::vector<float> dy = random_floats(rng, kBatch * 4, -0.2f, 0.2f);
  const std::vector<uint8_t> nothing_next(kInputs, 0);
  std::vector<float> scratch(kInputs * kBatch);
  ASSERT_TRUE(layer.backward_and_step(kBatch, batch.x.data(), dy.data(), nullptr, scratch.data(), 0.1f, 0.9f, false,
                                      nothing_next.data()));
  ASSERT_TRUE(layer.backward_and_step(kBatch, batch.x.data(), dy.data(), nullptr, scratch.data(), 0.1f, 0.9f, false,
                                      nothing_next.data()));
  ASSERT_TRUE(layer.has_deferred_steps());
  const FloatBuffer weights = layer.weights;
  layer.reset_velocity();
  EXPECT_FALSE(layer.has_deferred_steps());
  for (uint32_t p : layer.deferred_steps) EXPECT_EQ(p, 0u);
  layer.catch_up_deferred_steps();
  EXPECT_EQ(layer.weights, weights) << "with the velocity reset, nothing is owed";
}

}  // namespace
