// The edges of wasm32's memory (memory_budget.h): a model, batch size, data set or predict that would not fit in
// the 2 GiB heap is refused before anything is allocated, with the figures, and the engine then trains on exactly
// as a run that never made the call; counters that pass 2^31 stay right.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "memory_budget.h"
#include "trainer.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

// `count` images of `pixels` pixels (one row), two classes.
RawSet one_row_set(size_t count, uint32_t pixels, uint64_t seed) {
  Rng rng(seed);
  RawSet set;
  set.rows = 1;
  set.cols = pixels;
  set.pixels.resize(count * pixels);
  set.labels.resize(count);
  for (size_t i = 0; i < count; ++i) {
    set.labels[i] = static_cast<uint8_t>(rng.below(2));
    for (uint32_t p = 0; p < pixels; ++p) set.pixels[i * pixels + p] = static_cast<uint8_t>(set.labels[i] * 100 + rng.below(100));
  }
  return set;
}

TrainOptions at_batch(int batch) {
  TrainOptions options;
  options.batch_size = batch;
  options.learning_rate = 0.1f;
  return options;
}

NetworkConfig network_of(std::vector<int> sizes) {
  NetworkConfig config;
  config.sizes = std::move(sizes);
  config.scaling = ScalingKind::kUnit;
  return config;
}

// The request: 784-16384-16-16384-16-16384-16-16384-10 (14.6M parameters, under the parameter limit) at
// batch 4096 needs over 2 GB for its activations and gradients. Refused when the model is made, and when the batch
// size is raised under it; the trainer then goes on as one that never saw the calls.
TEST(MemoryLimits, ARequestBeyondTheHeapIsRefusedAndTrainingGoesOnAsBefore) {
  const std::vector<int> big = {784, 16384, 16, 16384, 16, 16384, 16, 16384, 10};
  ASSERT_GT(inference_bytes(big, 4096) + training_bytes(big, 4096, OptimizerKind::kSgd), kCountedLimitBytes);
  const RawSet set = one_row_set(48, 784, 1);
  Trainer tried, untried;
  for (Trainer* t : {&tried, &untried}) {
    ASSERT_TRUE(t->set_data(Split::kTrain, load_dataset(set)).ok());
    ASSERT_TRUE(t->create_model(network_of({784, 24, 2})).ok());
    ASSERT_TRUE(t->set_options(at_batch(16)).ok());
    ASSERT_EQ(t->train(4).batches, 4);
  }
  // At batch 4096, the big network cannot be made.
  ASSERT_TRUE(tried.set_options(at_batch(4096)).ok());
  const Status made = tried.create_model(network_of(big));
  EXPECT_ERROR_CONTAINS(made.error, "784-16384-16-16384-16-16384-16-16384-10");
  EXPECT_ERROR_CONTAINS(made.error, "at batch 4096");
  EXPECT_ERROR_CONTAINS(made.error, "GB");
  EXPECT_ERROR_CONTAINS(made.error, "lower the batch size or the layer widths");
  EXPECT_EQ(tried.network().config().sizes, (std::vector<int>{784, 24, 2})) << "the model is kept";
  ASSERT_TRUE(tried.set_options(at_batch(16)).ok());
  const TrainSummary a = tried.train(6), b = untried.train(6);
  ASSERT_EQ(a.batches, 6) << a.error;
  EXPECT_EQ(a.batch_losses, b.batch_losses) << "the same next losses, bit for bit";
}

TEST(MemoryLimits, RaisingTheBatchSizeBeyondTheHeapIsRefused) {
  // The network above fits at batch 64 (about 250 MB), and its activations at 4096 do not.
  const std::vector<int> big = {784, 16384, 16, 16384, 16, 16384, 16, 16384, 2};
  ASSERT_LE(inference_bytes(big, 128) + training_bytes(big, 64, OptimizerKind::kAdam), kCountedLimitBytes);
  ASSERT_GT(inference_bytes(big, 4096) + training_bytes(big, 4096, OptimizerKind::kSgd), kCountedLimitBytes);
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(one_row_set(8, 784, 2))).ok());
  ASSERT_TRUE(trainer.set_options(at_batch(64)).ok());
  ASSERT_TRUE(trainer.create_model(network_of(big)).ok());
  const Status raised = trainer.set_options(at_batch(4096));
  EXPECT_ERROR_CONTAINS(raised.error, "at batch 4096");
  EXPECT_EQ(trainer.options().batch_size, 64) << "the options are kept";
  TrainOptions adam = at_batch(64);
  adam.optimizer = OptimizerKind::kAdam;
  EXPECT_TRUE(trainer.set_options(adam).ok()) << "Adam's second moments fit at batch 64";
}

// 262,144 one-pixel images on a 1-16384 model: 2^32 scores, which a 32-bit count × classes wrapped to 0.
TEST(MemoryLimits, APredictBeyondTheHeapIsRefusedAndPredictGoesOn) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(one_row_set(16, 1, 3))).ok());
  ASSERT_TRUE(trainer.create_model(network_of({1, 16384})).ok());
  const std::vector<uint8_t> few = {0, 50, 200};
  std::vector<float> before, after;
  ASSERT_TRUE(trainer.predict(few.data(), few.size(), &before).ok());
  const std::vector<uint8_t> many(size_t{1} << 18, 7);
  std::vector<float> scores;
  const Status refused = trainer.predict(many.data(), many.size(), &scores);
  EXPECT_ERROR_CONTAINS(refused.error, "predicting 262144 images");
  EXPECT_ERROR_CONTAINS(refused.error, "predict fewer at a time");
  EXPECT_TRUE(scores.empty());
  ASSERT_TRUE(trainer.predict(few.data(), few.size(), &after).ok());
  EXPECT_EQ(before, after);
}

TEST(MemoryLimits, ADataSetBeyondTheHeapIsRefusedBeforeItIsCopiedIn) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(one_row_set(16, 4, 4))).ok());
  EXPECT_TRUE(trainer.check_data_memory(Split::kTest, uint64_t{100} << 20).ok());
  const Status refused = trainer.check_data_memory(Split::kTest, uint64_t{5} << 30);
  EXPECT_ERROR_CONTAINS(refused.error, "does not fit in memory");
  EXPECT_ERROR_CONTAINS(refused.error, "5.4 GB");
}

#if !defined(__EMSCRIPTEN__)
// train(530000) at batch 4096 is 2,170,880,000 samples: past 2^31, where a 32-bit count turned negative. Even on
// the smallest network that is 30-60 s of real training natively and twice that in wasm, so it runs in the
// native suite only (the counts' types are the same in both).
TEST(MemoryLimits, CountsPastTwoToThe31AreRight) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(one_row_set(4096, 1, 5))).ok());
  ASSERT_TRUE(trainer.create_model(network_of({1, 2})).ok());
  ASSERT_TRUE(trainer.set_options(at_batch(4096)).ok());
  const TrainSummary summary = trainer.train(530000);
  ASSERT_TRUE(summary.error.empty()) << summary.error;
  EXPECT_EQ(summary.samples, int64_t{530000} * 4096);
  EXPECT_GE(summary.accuracy, 0.0);
  EXPECT_LE(summary.accuracy, 1.0);
  EXPECT_GE(summary.mean_loss, 0.0);
  EXPECT_GT(summary.samples_per_second, 0.0);
}
#endif

TEST(MemoryLimits, BytesReadAsAPersonReadsThem) {
  EXPECT_EQ(format_bytes(2300000000ull), "2.3 GB");
  EXPECT_EQ(format_bytes(620000000ull), "620 MB");
  EXPECT_EQ(format_bytes(12000ull), "12 KB");
}

}  // namespace
