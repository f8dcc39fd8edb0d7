// The Trainer end to end on a small synthetic set (4×4 images, 4 linearly separable classes, built as
// IDX bytes and loaded through Dataset::from_idx): it learns, it is deterministic, it counts epochs,
// it refuses bad settings and mismatched data with messages, and it survives a diverging run.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <memory>
#include <vector>

#include "model_file.h"
#include "trainer.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

constexpr int kClasses = 4;

NetworkConfig small_config(OutputLoss output, uint32_t seed = 1) {
  NetworkConfig config;
  config.sizes = {16, 32, kClasses};
  config.output = output;
  config.seed = seed;
  config.scaling = ScalingKind::kUnit;  // these tests follow pixels / 255 by hand
  return config;
}

TrainOptions options(int batch, float lr, float momentum = 0.9f) {
  TrainOptions o;
  o.batch_size = batch;
  o.learning_rate = lr;
  o.momentum = momentum;
  return o;
}

// A trainer with the synthetic training (and optionally test) set and a small model.
std::unique_ptr<Trainer> make_trainer(OutputLoss output, size_t train_count, size_t test_count, TrainOptions opts,
                                      uint32_t seed = 1) {
  auto trainer = std::make_unique<Trainer>();
  EXPECT_TRUE(trainer->set_data(Split::kTrain, load_dataset(make_quadrant_set(train_count, kClasses, 100))).ok());
  if (test_count) {
    EXPECT_TRUE(trainer->set_data(Split::kTest, load_dataset(make_quadrant_set(test_count, kClasses, 200))).ok());
  }
  const Status created = trainer->create_model(small_config(output, seed));
  EXPECT_TRUE(created.ok()) << created.error;
  const Status set = trainer->set_options(opts);
  EXPECT_TRUE(set.ok()) << set.error;
  return trainer;
}

float learning_rate_for(OutputLoss output) { return output == OutputLoss::kSigmoidL2 ? 0.5f : 0.1f; }

TrainOptions with_label_smoothing(float smoothing) {
  TrainOptions o = options(16, 0.1f);
  o.label_smoothing = smoothing;
  return o;
}

class TrainerLearns : public ::testing::TestWithParam<OutputLoss> {};

TEST_P(TrainerLearns, ReachesHighAccuracyOnASeparableSet) {
  auto trainer = make_trainer(GetParam(), 400, 200, options(16, learning_rate_for(GetParam())));
  const Evaluation initial = trainer->evaluate(Split::kTest, 0);
  ASSERT_EQ(initial.error, "");
  EXPECT_LT(initial.accuracy, 0.75) << "the untrained model should not already solve the task";

  TrainSummary first;
  for (int round = 0; round < 6; ++round) {
    const TrainSummary summary = trainer->train(25);
    ASSERT_EQ(summary.error, "") << "round " << round;
    ASSERT_FALSE(summary.diverged);
    ASSERT_EQ(summary.batches, 25);
    if (round == 0) first = summary;
    if (round == 5) {
      EXPECT_LT(summary.mean_loss, 0.5 * first.mean_loss) << "the training loss should fall";
    }
  }
  const Evaluation test = trainer->evaluate(Split::kTest, 0);
  ASSERT_EQ(test.error, "");
  EXPECT_GT(test.accuracy, 0.9);
  EXPECT_LT(test.loss, initial.loss);
  EXPECT_GT(trainer->evaluate(Split::kTrain, 0).accuracy, 0.9);
}

INSTANTIATE_TEST_SUITE_P(BothOutputs, TrainerLearns,
                         ::testing::Values(OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy),
                         [](const ::testing::TestParamInfo<OutputLoss>& param_info) {
                           return param_info.param == OutputLoss::kSigmoidL2 ? std::string("SigmoidL2")
                                                                       : std::string("SoftmaxXent");
                         });

std::vector<double> loss_sequence(Trainer& trainer, int calls, int batches_per_call) {
  std::vector<double> losses;
  for (int i = 0; i < calls; ++i) {
    const TrainSummary summary = trainer.train(batches_per_call);
    EXPECT_EQ(summary.error, "");
    losses.push_back(summary.mean_loss);
  }
  return losses;
}

TEST(Trainer, SameSeedGivesBitIdenticalLossSequence) {
  for (OutputLoss output : {OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy}) {
    // 7 batches per call over 100 samples in batches of 16: calls straddle epoch ends and reshuffles.
    auto a = make_trainer(output, 100, 0, options(16, learning_rate_for(output)), 5);
    auto b = make_trainer(output, 100, 0, options(16, learning_rate_for(output)), 5);
    const std::vector<double> first = loss_sequence(*a, 8, 7);
    const std::vector<double> second = loss_sequence(*b, 8, 7);
    ASSERT_EQ(first.size(), second.size());
    for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], second[i]) << output_loss_name(output) << " call " << i;
    EXPECT_EQ(a->save(), b->save());

    // create_model with the same seed restarts both the weights and the epoch order.
    ASSERT_TRUE(a->create_model(small_config(output, 5)).ok());
    EXPECT_EQ(loss_sequence(*a, 8, 7), first);

    // A different seed is a different run.
    auto c = make_trainer(output, 100, 0, options(16, learning_rate_for(output)), 6);
    EXPECT_NE(loss_sequence(*c, 8, 7), first);
  }
}

TEST(Trainer, CountsEpochsWithAPartialLastBatch) {
  // 50 samples in batches of 16: 16, 16, 16, then the remaining 2; 4 batches an epoch.
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 50, 0, options(16, 0.1f));
  const int expected_samples[] = {16, 16, 16, 2, 16, 16, 16, 2, 16};
  const int expected_epoch[] = {0, 0, 0, 1, 1, 1, 1, 2, 2};
  const int expected_batch_in_epoch[] = {1, 2, 3, 0, 1, 2, 3, 0, 1};
  for (int i = 0; i < 9; ++i) {
    const TrainSummary s = trainer->train(1);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.batches_per_epoch, 4);
    EXPECT_EQ(s.batches, 1);
    EXPECT_EQ(s.samples, expected_samples[i]) << "batch " << i;
    EXPECT_EQ(s.epoch, expected_epoch[i]) << "batch " << i;
    EXPECT_EQ(s.batch_in_epoch, expected_batch_in_epoch[i]) << "batch " << i;
  }

  // The same 9 batches in one call.
  auto again = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 50, 0, options(16, 0.1f));
  const TrainSummary s = again->train(9);
  EXPECT_EQ(s.batches, 9);
  EXPECT_EQ(s.samples, 2 * 50 + 16);
  EXPECT_EQ(s.epoch, 2);
  EXPECT_EQ(s.batch_in_epoch, 1);
  EXPECT_EQ(again->save(), trainer->save()) << "one call of 9 batches is the same run as 9 calls of 1";

  // An exact multiple has no partial batch.
  auto exact = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 48, 0, options(16, 0.1f));
  const TrainSummary e = exact->train(3);
  EXPECT_EQ(e.batches_per_epoch, 3);
  EXPECT_EQ(e.samples, 48);
  EXPECT_EQ(e.epoch, 1);
  EXPECT_EQ(e.batch_in_epoch, 0);
}

TEST(Trainer, NewTrainingDataRestartsTheEpoch) {
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 50, 0, options(16, 0.1f));
  ASSERT_EQ(trainer->train(5).epoch, 1);
  ASSERT_TRUE(trainer->set_data(Split::kTrain, load_dataset(make_quadrant_set(30, kClasses, 7))).ok());
  const TrainSummary s = trainer->train(1);
  EXPECT_EQ(s.epoch, 0);
  EXPECT_EQ(s.batch_in_epoch, 1);
  EXPECT_EQ(s.batches_per_epoch, 2);
  // Test data does not touch the training epoch.
  ASSERT_TRUE(trainer->set_data(Split::kTest, load_dataset(make_quadrant_set(30, kClasses, 8))).ok());
  EXPECT_EQ(trainer->train(1).epoch, 1);
}

TEST(Trainer, EachEpochVisitsEverySampleOnceInAFreshShuffledOrder) {
  const size_t n = 20;
  // Batches of one and a negligible learning rate: the model stays put, so each batch's loss names its sample.
  auto trainer = make_trainer(OutputLoss::kSigmoidL2, n, 0, options(1, 1e-30f, 0.f));
  const Dataset& data = trainer->data(Split::kTrain);
  Network copy = trainer->network();
  std::vector<double> sample_loss(n);
  std::vector<float> x(data.features());
  for (size_t i = 0; i < n; ++i) {
    uint8_t label;
    data.fill_range(i, 1, x.data(), &label);
    sample_loss[i] = copy.loss(1, copy.forward(1, x.data()), &label);
  }
  std::vector<double> sorted = sample_loss;
  std::sort(sorted.begin(), sorted.end());
  double min_gap = 1;
  for (size_t i = 1; i < n; ++i) min_gap = std::min(min_gap, sorted[i] - sorted[i - 1]);
  ASSERT_GT(min_gap, 4e-6) << "the samples' losses must be distinct to tell them apart";
  auto identify = [&](double loss) {
    for (size_t i = 0; i < n; ++i)
      if (std::fabs(sample_loss[i] - loss) < 1e-6) return static_cast<int>(i);
    return -1;
  };

  std::vector<int> identity(n);
  std::iota(identity.begin(), identity.end(), 0);
  std::vector<std::vector<int>> epochs(3);
  for (auto& order : epochs) {
    for (size_t b = 0; b < n; ++b) {
      const TrainSummary s = trainer->train(1);
      ASSERT_EQ(s.error, "");
      const int sample = identify(s.mean_loss);
      ASSERT_GE(sample, 0) << "loss " << s.mean_loss << " is no sample's";
      order.push_back(sample);
    }
    std::vector<int> visited = order;
    std::sort(visited.begin(), visited.end());
    EXPECT_EQ(visited, identity) << "an epoch visits every sample exactly once";
  }
  EXPECT_NE(epochs[0], identity) << "the first epoch is shuffled";
  EXPECT_NE(epochs[0], epochs[1]) << "each epoch is reshuffled";
  EXPECT_NE(epochs[1], epochs[2]);
}

TEST(Trainer, NoStepIsOwedWhenACallReturns) {
  // Within a call the first layer may defer steps (DeferredSteps); whatever reads the weights after it
  // (evaluate, save, the weight tiles) must find them current.
  auto trainer = make_trainer(OutputLoss::kSigmoidL2, 300, 50, options(16, 0.5f));
  for (int batches : {1, 2, 7, 19, 150}) {
    ASSERT_EQ(trainer->train(batches).error, "");
    EXPECT_FALSE(trainer->network().has_deferred_steps()) << batches << " batches";
  }
}

// 16×16 images, a third of their pixels lit at random (more of them in the class's quadrant): sparse enough for the
// sparse kernels, and in a batch of 32 every pixel is lit in some image, so no first-layer row defers its step.
RawSet make_speckle_set(size_t count, uint64_t seed) {
  return make_speckled_set(count, 16, kClasses, seed, [](int label, int p) {
    const bool own = (p / 16 < 8) == (label < 2) && (p % 16 < 8) == (label % 2 == 0);
    return own ? 55 : 28;
  });
}

TEST(Trainer, CallsOfAnyLengthTrainAsOneCallWhenNoRowWaits) {
  // A call's last step runs the next batch's first layer as every step does (fused with the step where that pays:
  // a layer of 256 × 1,100 in the wasm SIMD build, whose sums it adds in another order than the plain forward),
  // and the next call starts from it. No row defers its step here, so the settling at a call's end changes
  // nothing: calls of any length give the run of one long call, across epochs' ends (10 batches an epoch).
  const auto trainer = [] {
    auto made = std::make_unique<Trainer>();
    EXPECT_TRUE(made->set_data(Split::kTrain, load_dataset(make_speckle_set(300, 7))).ok());
    NetworkConfig config;
    config.sizes = {256, 1100, kClasses};
    config.output = OutputLoss::kSoftmaxCrossEntropy;
    EXPECT_TRUE(made->create_model(config).ok());
    EXPECT_TRUE(made->set_options(options(32, 0.05f)).ok());
    return made;
  };
  auto whole = trainer(), pieces = trainer(), single = trainer();
  const TrainSummary one = whole->train(24);
  ASSERT_EQ(one.error, "");
  std::vector<float> piece_losses, single_losses;
  for (int batches : {5, 7, 1, 11}) {
    const TrainSummary summary = pieces->train(batches);
    ASSERT_EQ(summary.error, "");
    piece_losses.insert(piece_losses.end(), summary.batch_losses.begin(), summary.batch_losses.end());
  }
  for (int i = 0; i < 24; ++i) single_losses.push_back(single->train(1).batch_losses.at(0));
  EXPECT_EQ(piece_losses, one.batch_losses);
  EXPECT_EQ(single_losses, one.batch_losses);
  EXPECT_EQ(pieces->save(true), whole->save(true));
  EXPECT_EQ(single->save(true), whole->save(true));
}

TEST(Trainer, ReadingTheModelBetweenCallsChangesNothingInTheRun) {
  // The page evaluates, predicts and saves between its calls of train(): none of it may change the run, though
  // the next batch's first-layer output waits in the workspace those reads use.
  auto read = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 300, 100, options(16, 0.1f));
  auto left = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 300, 100, options(16, 0.1f));
  const RawSet images = make_quadrant_set(300, kClasses, 300);  // more than one 256-image chunk
  std::vector<float> scores;
  for (int call = 0; call < 6; ++call) {
    const TrainSummary a = read->train(4), b = left->train(4);
    ASSERT_EQ(a.error, "");
    EXPECT_EQ(a.batch_losses, b.batch_losses) << "call " << call;
    EXPECT_EQ(read->evaluate(Split::kTest, 0).error, "");
    EXPECT_EQ(read->evaluate(Split::kTrain, 0).error, "");
    ASSERT_TRUE(read->predict(images.pixels.data(), images.count(), &scores).ok());
    ASSERT_TRUE(read->predict(images.pixels.data(), 3, &scores).ok());
    EXPECT_EQ(read->save(true), left->save(true)) << "call " << call;
  }
}

TEST(Trainer, TrainingDataLoadedBetweenCallsIsWhatTheNextCallTrainsOn) {
  // The last call drew its next batch and ran the first layer on it; new training data must replace both. Here
  // every new image is the same, so the next batch's loss is the model's loss on that image, which evaluate gives.
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 300, 0, options(16, 0.1f));
  ASSERT_EQ(trainer->train(5).error, "");
  RawSet same = make_quadrant_set(1, kClasses, 9);
  for (int i = 1; i < 40; ++i) {
    same.pixels.insert(same.pixels.end(), same.pixels.begin(), same.pixels.begin() + 16);
    same.labels.push_back(same.labels[0]);
  }
  ASSERT_TRUE(trainer->set_data(Split::kTrain, load_dataset(same)).ok());
  ASSERT_TRUE(trainer->set_data(Split::kTest, load_dataset(same)).ok());
  const Evaluation before = trainer->evaluate(Split::kTest, 0);
  ASSERT_EQ(before.error, "");
  const TrainSummary next = trainer->train(1);
  ASSERT_EQ(next.error, "");
  EXPECT_NEAR(next.batch_losses.at(0), before.loss, 1e-5 * before.loss);
}

TEST(Trainer, ZeroBatchesIsANoOpAndANegativeCountIsAnError) {
  auto trainer = make_trainer(OutputLoss::kSigmoidL2, 50, 0, options(16, 0.5f));
  const std::vector<uint8_t> before = trainer->save();
  const TrainSummary zero = trainer->train(0);
  EXPECT_EQ(zero.error, "");
  EXPECT_EQ(zero.batches, 0);
  EXPECT_EQ(zero.mean_loss, 0.0);
  EXPECT_EQ(trainer->save(), before);
  EXPECT_ERROR_CONTAINS(trainer->train(-1).error, "batch count -1");
  EXPECT_EQ(trainer->save(), before);
}

TEST(Validate, AcceptsSensibleNetworks) {
  EXPECT_TRUE(validate(NetworkConfig{}).ok());  // the default 784-2048-10
  NetworkConfig config;
  config.sizes = {2, 2};
  EXPECT_TRUE(validate(config).ok());
  config.sizes = {784, 64, 64, 64, 64, 64, 64, 64, 10};  // 8 weight layers, the maximum
  EXPECT_TRUE(validate(config).ok());
  config.sizes = {784, 16384, 10};
  EXPECT_TRUE(validate(config).ok());
}

TEST(Validate, RejectsBadNetworkConfigsWithMessages) {
  struct Case {
    std::vector<int> sizes;
    OutputLoss output;
    const char* message;
  };
  const Case cases[] = {
      {{}, OutputLoss::kSigmoidL2, "got 0 sizes"},
      {{784}, OutputLoss::kSigmoidL2, "got 1 sizes"},
      {{784, 8, 8, 8, 8, 8, 8, 8, 8, 10}, OutputLoss::kSigmoidL2, "got 10 sizes"},  // 9 weight layers
      {{784, 0, 10}, OutputLoss::kSigmoidL2, "layer size 0 is out of range"},
      {{784, -5, 10}, OutputLoss::kSigmoidL2, "layer size -5"},
      {{784, 100000, 10}, OutputLoss::kSigmoidL2, "layer size 100000"},
      {{784, 16385, 10}, OutputLoss::kSigmoidL2, "layer size 16385"},
      {{784, 2048, 1}, OutputLoss::kSoftmaxCrossEntropy, "at least 2 classes"},
      {{784, 2048, 10}, static_cast<OutputLoss>(7), "unknown output/loss kind 7"},
      // Each size allowed, but 16384² weights twice over is far beyond the parameter limit.
      {{784, 16384, 16384, 10}, OutputLoss::kSigmoidL2, "parameters"},
  };
  Trainer trainer;
  ASSERT_TRUE(trainer.create_model(small_config(OutputLoss::kSigmoidL2)).ok());
  const std::vector<uint8_t> before = trainer.save();
  for (const Case& c : cases) {
    NetworkConfig config;
    config.sizes = c.sizes;
    config.output = c.output;
    EXPECT_ERROR_CONTAINS(validate(config).error, c.message);
    // create_model refuses it too, and keeps the model it had.
    EXPECT_ERROR_CONTAINS(trainer.create_model(config).error, c.message);
    EXPECT_EQ(trainer.save(), before);
  }
}

TEST(Validate, RejectsBadTrainOptionsWithMessages) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    TrainOptions options;
    const char* message;
  };
  const Case cases[] = {
      {options(0, 0.1f), "batch size 0"},
      {options(-3, 0.1f), "batch size -3"},
      {options(4097, 0.1f), "batch size 4097"},
      {options(16, 0.f), "learning rate 0"},
      {options(16, -0.1f), "learning rate -0.1"},
      {options(16, nan), "learning rate NaN"},
      {options(16, inf), "learning rate Infinity"},
      {options(16, 1001.f), "learning rate 1001"},
      {options(16, 0.1f, 1.f), "momentum 1"},
      {options(16, 0.1f, 1.5f), "momentum 1.5"},
      {options(16, 0.1f, -0.1f), "momentum -0.1"},
      {options(16, 0.1f, nan), "momentum NaN"},
      {with_label_smoothing(-0.1f), "label smoothing -0.1"},
      {with_label_smoothing(1.f), "label smoothing 1"},
      {with_label_smoothing(nan), "label smoothing NaN"},
  };
  Trainer trainer;
  ASSERT_TRUE(trainer.set_options(options(32, 0.25f, 0.5f)).ok());
  for (const Case& c : cases) {
    EXPECT_ERROR_CONTAINS(validate(c.options).error, c.message);
    EXPECT_ERROR_CONTAINS(trainer.set_options(c.options).error, c.message);
    // The options in force stay as they were.
    EXPECT_EQ(trainer.options().batch_size, 32);
    EXPECT_EQ(trainer.options().learning_rate, 0.25f);
    EXPECT_EQ(trainer.options().momentum, 0.5f);
  }
  // The edges that are allowed.
  EXPECT_TRUE(validate(options(1, 1000.f, 0.f)).ok());
  EXPECT_TRUE(validate(options(4096, 1e-6f, 0.99f)).ok());
}

// The trainer hands its label smoothing to the steps: the same first batch and loss (taken before any step, against
// the labels), then other steps; and it still learns.
TEST(Trainer, LabelSmoothingChangesTheStepsNotTheLossesMeasure) {
  for (OutputLoss output : {OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy}) {
    TrainOptions smoothed = options(16, learning_rate_for(output));
    smoothed.label_smoothing = 0.2f;
    auto plain = make_trainer(output, 256, 128, options(16, learning_rate_for(output)));
    auto soft = make_trainer(output, 256, 128, smoothed);
    const TrainSummary a = plain->train(40), b = soft->train(40);
    ASSERT_EQ(a.batch_losses.size(), 40u);
    ASSERT_EQ(b.batch_losses.size(), 40u);
    EXPECT_EQ(a.batch_losses[0], b.batch_losses[0]) << output_loss_name(output);
    EXPECT_NE(a.batch_losses[1], b.batch_losses[1]) << output_loss_name(output);
    EXPECT_GT(soft->evaluate(Split::kTest, 0).accuracy, 0.9) << output_loss_name(output);
  }
}

TEST(Trainer, AHugeLearningRateDivergesAndRollsBack) {
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 200, 0, options(16, 1000.f));
  const std::vector<uint8_t> before = trainer->save();
  const TrainSummary s = trainer->train(50);
  ASSERT_TRUE(s.diverged) << "lr 1000 with softmax cross-entropy should blow up (mean loss " << s.mean_loss << ")";
  EXPECT_LT(s.batches, 50);
  EXPECT_ERROR_CONTAINS(s.error, "diverged");
  EXPECT_ERROR_CONTAINS(s.error, "rolled back");
  EXPECT_ERROR_CONTAINS(s.error, "lower learning rate");
  // Fewer than 100 batches in: the last good state is the initial model, restored exactly.
  std::vector<float> params;
  trainer->network().copy_parameters_to(params);
  EXPECT_TRUE(all_finite(params));
  EXPECT_EQ(trainer->save(), before);

  // Training on with a sane rate works from there.
  ASSERT_TRUE(trainer->set_options(options(16, 0.1f)).ok());
  const TrainSummary after = trainer->train(20);
  EXPECT_EQ(after.error, "");
  EXPECT_FALSE(after.diverged);
  EXPECT_EQ(after.batches, 20);
}

TEST(Trainer, DivergenceRollsBackToTheStateAtTheStartOfTheCallNotTheStart) {
  // After 130 good batches, a blow-up must return to what the caller last saw (batch 130), neither to
  // the initial model nor to an older periodic checkpoint (batch 100).
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 200, 0, options(16, 0.1f));
  const std::vector<uint8_t> initial = trainer->save();
  ASSERT_EQ(trainer->train(100).batches, 100);
  const std::vector<uint8_t> at_100 = trainer->save();
  ASSERT_EQ(trainer->train(30).batches, 30);
  const std::vector<uint8_t> at_130 = trainer->save();
  ASSERT_NE(at_130, at_100);
  ASSERT_TRUE(trainer->set_options(options(16, 1000.f)).ok());
  const TrainSummary s = trainer->train(50);
  ASSERT_TRUE(s.diverged);
  EXPECT_EQ(trainer->save(), at_130);
  EXPECT_NE(trainer->save(), initial);
  // The message counts the good batches of this call that were undone.
  EXPECT_ERROR_CONTAINS(s.error, "rolled back " + std::to_string(s.batches) + " batches");
}

TEST(Trainer, ANonFiniteLossIsDivergenceAndIsNeverApplied) {
  // A (valid, finite) model whose weights are so large that the forward pass overflows to NaN.
  NetworkConfig config = small_config(OutputLoss::kSoftmaxCrossEntropy);
  Network huge(config);
  for (float& w : huge.layers()[0].weights) w = 3e38f;  // every hidden unit +inf for any non-blank image
  for (float& w : huge.layers()[1].weights) w = w > 0 ? 3e38f : -3e38f;
  const std::vector<uint8_t> bytes = save_model(huge);
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 50, 0, options(16, 0.1f));
  ASSERT_TRUE(trainer->load(bytes.data(), bytes.size()).ok());
  const TrainSummary s = trainer->train(5);
  EXPECT_TRUE(s.diverged);
  EXPECT_EQ(s.batches, 0);
  EXPECT_ERROR_CONTAINS(s.error, "diverged");
  EXPECT_EQ(trainer->save(), bytes);  // rolled back to the loaded model, nothing NaN written into it
}

TEST(Trainer, EvaluateGivesAConsistentConfusionMatrix) {
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 400, 200, options(16, 0.1f));
  ASSERT_EQ(trainer->train(10).error, "");
  const RawSet test_set = make_quadrant_set(200, kClasses, 200);  // what make_trainer loaded

  for (size_t limit : {size_t{0}, size_t{37}, size_t{200}, size_t{5000}}) {
    SCOPED_TRACE(::testing::Message() << "limit " << limit);
    const Evaluation e = trainer->evaluate(Split::kTest, limit);
    ASSERT_EQ(e.error, "");
    const int count = limit == 0 || limit > 200 ? 200 : static_cast<int>(limit);
    EXPECT_EQ(e.count, count);
    int total = 0, diagonal = 0;
    ASSERT_EQ(e.classes, kClasses);
    ASSERT_EQ(e.confusion.size(), static_cast<size_t>(kClasses * kClasses)) << "classes × classes";
    for (int t = 0; t < kClasses; ++t) {
      int row = 0;
      for (int p = 0; p < kClasses; ++p) row += e.confusion[t * kClasses + p];
      int with_label = 0;
      for (int i = 0; i < count; ++i) with_label += test_set.labels[i] == t;
      EXPECT_EQ(row, with_label) << "row " << t << " counts every sample of that label";
      total += row;
      diagonal += e.confusion[t * kClasses + t];
    }
    EXPECT_EQ(total, count);
    EXPECT_DOUBLE_EQ(e.accuracy, static_cast<double>(diagonal) / count);
  }
}

TEST(Trainer, EvaluateMatchesADirectForwardPass) {
  // 400 samples: more than one 256-sample evaluation chunk. Checked untrained (many mistakes, so the
  // confusion matrix's orientation shows) and after some training.
  auto trainer = make_trainer(OutputLoss::kSigmoidL2, 400, 0, options(16, 0.5f));
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "untrained" : "trained");
    if (round == 1) {
      ASSERT_EQ(trainer->train(7).error, "");
    }
    const Evaluation e = trainer->evaluate(Split::kTrain, 0);
    ASSERT_EQ(e.error, "");

    const Dataset& data = trainer->data(Split::kTrain);
    Network copy = trainer->network();
    std::vector<float> x(data.size() * data.features());
    std::vector<uint8_t> labels(data.size());
    data.fill_range(0, static_cast<int>(data.size()), trainer->network().input_scaling(), x.data(), labels.data());
    const float* probs = copy.forward(static_cast<int>(data.size()), x.data());
    int correct = 0, mistakes = 0;
    std::vector<int> confusion(kClasses * kClasses, 0);
    for (size_t i = 0; i < data.size(); ++i) {
      const int predicted = argmax(probs + i * kClasses, kClasses);
      correct += predicted == labels[i];
      mistakes += predicted != labels[i];
      ++confusion[labels[i] * kClasses + predicted];  // [true × predicted]
    }
    if (round == 0) {
      EXPECT_GT(mistakes, 100);
    }
    EXPECT_EQ(e.confusion, confusion);
    EXPECT_EQ(e.count, static_cast<int>(data.size()));
    EXPECT_DOUBLE_EQ(e.accuracy, static_cast<double>(correct) / data.size());
    EXPECT_NEAR(e.loss, copy.loss(static_cast<int>(data.size()), probs, labels.data()), 1e-9);
  }
}

TEST(Trainer, PredictReturnsTheNetworkOutputs) {
  auto trainer = make_trainer(OutputLoss::kSoftmaxCrossEntropy, 100, 0, options(16, 0.1f));
  ASSERT_EQ(trainer->train(5).error, "");
  const RawSet set = make_quadrant_set(300, kClasses, 300);  // more than one 256-image chunk
  std::vector<float> scores;
  ASSERT_TRUE(trainer->predict(set.pixels.data(), set.count(), &scores).ok());
  ASSERT_EQ(scores.size(), set.count() * kClasses);

  Network copy = trainer->network();
  std::vector<float> x(set.pixels.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = set.pixels[i] / 255.f;
  const float* probs = copy.forward(static_cast<int>(set.count()), x.data());
  for (size_t i = 0; i < scores.size(); ++i) ASSERT_NEAR(scores[i], probs[i], 1e-6) << i;
  for (size_t b = 0; b < set.count(); ++b) {
    double sum = 0;
    for (int c = 0; c < kClasses; ++c) sum += scores[b * kClasses + c];
    ASSERT_NEAR(sum, 1.0, 1e-5);
  }
  EXPECT_TRUE(trainer->predict(nullptr, 0, &scores).ok());
  EXPECT_TRUE(scores.empty());
}

TEST(Trainer, TrainAndEvaluateWithoutDataGiveErrors) {
  Trainer trainer;
  ASSERT_TRUE(trainer.create_model(small_config(OutputLoss::kSigmoidL2)).ok());
  const TrainSummary s = trainer.train(10);
  EXPECT_ERROR_CONTAINS(s.error, "no training data");
  EXPECT_EQ(s.batches, 0);
  EXPECT_FALSE(s.diverged);
  EXPECT_ERROR_CONTAINS(trainer.evaluate(Split::kTrain, 0).error, "no training data");
  EXPECT_ERROR_CONTAINS(trainer.evaluate(Split::kTest, 0).error, "no test data");
}

TEST(Trainer, AModelThatDoesNotFitTheDataIsAnErrorNotACrash) {
  // The default model takes 784 inputs; the data is 4×4.
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(make_quadrant_set(40, kClasses, 1))).ok());
  ASSERT_TRUE(trainer.set_data(Split::kTest, load_dataset(make_quadrant_set(20, kClasses, 2))).ok());
  ASSERT_EQ(trainer.network().input_size(), 784);
  const std::vector<uint8_t> before = trainer.save();
  const TrainSummary s = trainer.train(3);
  EXPECT_ERROR_CONTAINS(s.error, "784 inputs");
  EXPECT_ERROR_CONTAINS(s.error, "16 pixels (4x4)");
  EXPECT_EQ(s.batches, 0);
  EXPECT_ERROR_CONTAINS(trainer.evaluate(Split::kTest, 0).error, "784 inputs");
  EXPECT_EQ(trainer.save(), before);

  // Right inputs, too few outputs for the labels.
  NetworkConfig three_classes;  // labels 0..3 need 4 outputs: 3 is one too few
  three_classes.sizes = {16, 8, 3};
  ASSERT_TRUE(trainer.create_model(three_classes).ok());
  EXPECT_ERROR_CONTAINS(trainer.train(3).error, "labels go up to 3");
  EXPECT_ERROR_CONTAINS(trainer.evaluate(Split::kTrain, 0).error, "labels go up to 3");

  // A fitting model then trains.
  ASSERT_TRUE(trainer.create_model(small_config(OutputLoss::kSigmoidL2)).ok());
  EXPECT_EQ(trainer.train(3).error, "");
}

}  // namespace
