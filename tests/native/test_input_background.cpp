// The first layer's input background (input_background.h): which sets get one, and a layer or a trainer taking its
// inputs as (x − c) + c computes what it computes without, up to float rounding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dense_layer.h"
#include "input_background.h"
#include "input_scaling.h"
#include "network.h"
#include "test_helpers.h"
#include "trainer.h"

namespace {

using namespace scratchnet;
using scratchnet_test::load_dataset;
using scratchnet_test::RawSet;

// A set of `count` side×side images, its pixels and labels still to be filled.
RawSet sized_set(size_t count, int side) {
  RawSet set;
  set.rows = set.cols = static_cast<uint32_t>(side);
  set.pixels.resize(count * side * side);
  set.labels.resize(count);
  return set;
}

// Digits-like images: a blank background of `background` with a few strokes of other values, so that about a
// fifth of the pixels differ from it (MNIST's share); with `noise`, every pixel moved by up to ±noise as well.
RawSet make_background_set(size_t count, int side, uint8_t background, int noise, uint64_t seed) {
  Rng rng(seed);
  RawSet set = sized_set(count, side);
  for (size_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.below(4));
    set.labels[i] = static_cast<uint8_t>(label);
    for (int p = 0; p < side * side; ++p) {
      // The class lights its own band of rows more often.
      const bool in_band = (p / side) * 4 / side == label;
      int value = background;
      if (rng.uniform() < (in_band ? 0.6f : 0.05f)) value = background == 0 ? 80 + rng.below(176) : rng.below(176);
      if (noise > 0) value += static_cast<int>(rng.below(2 * noise + 1)) - noise;
      set.pixels[i * side * side + p] = static_cast<uint8_t>(std::clamp(value, 0, 255));
    }
  }
  return set;
}

TEST(InputBackground, AnInvertedSetHasOneAndASparseOrNoisyOneNone) {
  const Dataset inverted = load_dataset(make_background_set(300, 10, 255, 0, 1));
  const InputScaling unit = InputScaling::unit(100);
  const std::vector<float> c = fit_input_background(unit, inverted);
  ASSERT_EQ(c.size(), 100u);
  for (float v : c) EXPECT_EQ(v, 255 * (1.f / 255.f));  // the fill's own value of a 255 pixel

  // Sparse images: their background is zero already.
  const Dataset sparse = load_dataset(make_background_set(300, 10, 0, 0, 2));
  EXPECT_TRUE(fit_input_background(unit, sparse).empty());
  // Centred, the same images' zeros become the offsets: the background is each pixel's input of a zero.
  const InputScaling centred = InputScaling::fit(ScalingKind::kStandard, sparse);
  const std::vector<float> offsets = fit_input_background(centred, sparse);
  ASSERT_EQ(offsets.size(), 100u);
  for (int k = 0; k < 100; ++k) EXPECT_EQ(offsets[k], centred.offset[k]) << k;

  // No value common enough: subtracting the most common one would not halve the non-zero inputs.
  const Dataset noisy = load_dataset(make_background_set(300, 10, 255, 40, 3));
  EXPECT_TRUE(fit_input_background(unit, noisy).empty());
  EXPECT_TRUE(fit_input_background(InputScaling::fit(ScalingKind::kStandard, noisy), noisy).empty());
}

// Images with each pixel lit (1..255) with probability `lit`, else 0.
RawSet make_lit_set(size_t count, int side, float lit, uint64_t seed) {
  Rng rng(seed);
  RawSet set = sized_set(count, side);
  for (size_t i = 0; i < count; ++i) {
    set.labels[i] = static_cast<uint8_t>(rng.below(3));
    for (int p = 0; p < side * side; ++p)
      set.pixels[i * side * side + p] = rng.uniform() < lit ? static_cast<uint8_t>(1 + rng.below(255)) : 0;
  }
  return set;
}

TEST(InputBackground, HalfLitImagesCentredGoAroundTheirZerosAndMostlyLitOnesDoNot) {
  // Half lit (Fashion-MNIST's share): zero is held by fewer than half the images at most pixels, but it is the most
  // common value, and the rest (55% of the inputs) is sparse enough for the sparse kernels.
  const Dataset half = load_dataset(make_lit_set(400, 10, 0.55f, 4));
  const InputScaling centred = InputScaling::fit(ScalingKind::kStandard, half);
  const std::vector<float> c = fit_input_background(centred, half);
  ASSERT_EQ(c.size(), 100u);
  for (int k = 0; k < 100; ++k) EXPECT_EQ(c[k], centred.offset[k]) << k;
  // 70% lit: the rest would be too dense to pay.
  const Dataset mostly = load_dataset(make_lit_set(400, 10, 0.7f, 5));
  EXPECT_TRUE(fit_input_background(InputScaling::fit(ScalingKind::kStandard, mostly), mostly).empty());
}

TEST(InputBackground, SplitAndAddRowsKeepTheBackgroundApart) {
  const float x[] = {1, 2, 3, 4, 5, 6}, c[] = {1, 0, 4};
  float rows[9];
  split_off_background(2, 3, x, c, rows);
  EXPECT_EQ(std::vector<float>(rows, rows + 9), (std::vector<float>{0, 2, -1, 3, 5, 2, 1, 0, 4}));
  // Rows of 5: a 4-wide pass and one column after it.
  const float sums[] = {1, -2, 3, -4, 7, 5, -1, 2, 6, -9};
  const float row[] = {0.5f, 1, -6, 4, 2};
  float y[10];
  add_row_to_rows(2, 5, sums, row, y, /*relu=*/true);
  EXPECT_EQ(std::vector<float>(y, y + 10), (std::vector<float>{1.5f, 0, 0, 0, 9, 5.5f, 0, 0, 10, 0}));
  add_row_to_rows(2, 5, sums, row, y, /*relu=*/false);
  EXPECT_EQ(std::vector<float>(y, y + 10), (std::vector<float>{1.5f, -1, -3, 0, 9, 5.5f, 0, -4, 10, -7}));
}

// Inputs x = c + s with s zero in about 80% of places and c non-zero nearly everywhere.
std::vector<float> inputs_around(const std::vector<float>& c, int B, Rng& rng) {
  const int in = static_cast<int>(c.size());
  std::vector<float> x(static_cast<size_t>(B) * in);
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < in; ++k)
      x[static_cast<size_t>(b) * in + k] = c[k] + (rng.uniform() < 0.2f ? rng.uniform() - 0.5f : 0.f);
  return x;
}

void expect_close(const FloatBuffer& a, const FloatBuffer& b, float tolerance, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  float worst = 0.f;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / (1.f + std::fabs(b[i])));
  EXPECT_LT(worst, tolerance) << what;
}

// Odd sizes, and the default network's first layer, whose products go through the chunked sparse kernels.
class BackgroundShapes : public ::testing::TestWithParam<std::array<int, 3>> {};

TEST_P(BackgroundShapes, AForwardAroundABackgroundIsTheForward) {
  const auto [B, in, out] = GetParam();
  Rng rng(static_cast<uint64_t>(B * 7 + in));
  DenseLayer plain(in, out);
  plain.init_he(rng);
  for (float& b : plain.bias) b = rng.uniform() - 0.5f;
  DenseLayer around = plain;
  std::vector<float> c(in);
  for (float& v : c) v = rng.uniform() * 2.f - 1.f;
  c[in / 2] = 0.f;  // a pixel whose background is zero
  around.set_input_background(c);
  const std::vector<float> x = inputs_around(c, B, rng);
  for (bool relu : {false, true}) {
    FloatBuffer expected(static_cast<size_t>(B) * out), got(static_cast<size_t>(B) * out);
    plain.forward(B, x.data(), expected.data(), relu);
    around.forward(B, x.data(), got.data(), relu);
    expect_close(got, expected, 2e-5f, relu ? "relu" : "no relu");
  }
}

TEST_P(BackgroundShapes, StepsAroundABackgroundAreTheSteps) {
  const auto [B, in, out] = GetParam();
  for (OptimizerKind optimizer : {OptimizerKind::kSgd, OptimizerKind::kAdam}) {
    Rng rng(static_cast<uint64_t>(B * 13 + out));
    DenseLayer plain(in, out);
    plain.init_he(rng);
    DenseLayer around = plain;
    std::vector<float> c(in);
    for (float& v : c) v = rng.uniform() * 2.f - 1.f;
    around.set_input_background(c);
    StepRule rule;
    rule.optimizer = optimizer;
    rule.learning_rate = optimizer == OptimizerKind::kSgd ? 0.05f : 0.001f;
    FloatBuffer next_plain(static_cast<size_t>(B) * out), next_around(static_cast<size_t>(B) * out);
    FloatBuffer scratch(static_cast<size_t>(in) * std::max(B, out));
    std::vector<uint8_t> used(in, 1);
    for (int step = 1; step <= 3; ++step) {
      rule.t = step;
      const std::vector<float> x = inputs_around(c, B, rng), next_x = inputs_around(c, B, rng);
      std::vector<float> dy(static_cast<size_t>(B) * out);
      for (float& g : dy) g = rng.uniform() - 0.5f;
      const NextForward plain_next{B, next_x.data(), next_plain.data()};
      const NextForward around_next{B, next_x.data(), next_around.data()};
      ASSERT_TRUE(plain.backward_and_step(B, x.data(), dy.data(), nullptr, scratch.data(), rule, false, used.data(),
                                          &plain_next));
      ASSERT_TRUE(around.backward_and_step(B, x.data(), dy.data(), nullptr, scratch.data(), rule, false, used.data(),
                                           &around_next));
      // Steps of about 0.1: sums of 65 terms round apart.
      expect_close(around.weights, plain.weights, 1e-4f, "weights");
      expect_close(around.bias, plain.bias, 1e-6f, "bias");
      expect_close(next_around, next_plain, 1e-4f, "the next batch's forward");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BackgroundShapes,
                         ::testing::Values(std::array<int, 3>{1, 3, 7}, std::array<int, 3>{7, 17, 45},
                                           std::array<int, 3>{64, 784, 2048}, std::array<int, 3>{33, 784, 100}));

// Inverted digits-like images: a trainer finds their background, and a network trained around it learns as one
// without does, batch by batch.
TEST(InputBackground, InvertedImagesTrainAroundTheirBackground) {
  const RawSet raw = make_background_set(2000, 12, 255, 0, 7);
  const Dataset data = load_dataset(raw);
  NetworkConfig config;
  config.sizes = {144, 64, 4};
  config.scaling = ScalingKind::kStandard;
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(raw)).ok());
  ASSERT_TRUE(trainer.create_model(config).ok());
  ASSERT_TRUE(trainer.network().has_input_background());

  const InputScaling scaling = InputScaling::fit(ScalingKind::kStandard, data);
  Network around(config), plain(config);
  around.set_input_background(fit_input_background(scaling, data));
  ASSERT_TRUE(around.has_input_background());
  ASSERT_FALSE(plain.has_input_background());
  constexpr int kBatch = 32;
  std::vector<float> x(kBatch * 144);
  std::vector<uint8_t> labels(kBatch);
  std::vector<uint32_t> indices(kBatch);
  int correct_around = 0, correct_plain = 0;
  for (int step = 0; step < 150; ++step) {
    for (int b = 0; b < kBatch; ++b) indices[b] = static_cast<uint32_t>((step * kBatch + b * 7) % data.size());
    data.fill_batch(indices.data(), kBatch, scaling, x.data(), labels.data());
    const BatchResult a = around.train_batch(kBatch, x.data(), labels.data(), 0.2f, 0.9f);
    const BatchResult b = plain.train_batch(kBatch, x.data(), labels.data(), 0.2f, 0.9f);
    ASSERT_TRUE(a.finite && b.finite);
    EXPECT_NEAR(a.loss, b.loss, 1e-3 * (1 + b.loss)) << step;
    if (step >= 100) correct_around += a.correct, correct_plain += b.correct;
  }
  EXPECT_GT(correct_around, 0.9 * 50 * kBatch);
  EXPECT_NEAR(correct_around, correct_plain, 0.01 * 50 * kBatch);
}

// MNIST-like sparse images keep the plain path: their results stay bit for bit what they were.
TEST(InputBackground, SparseImagesTrainWithoutOne) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(make_background_set(500, 12, 0, 0, 8))).ok());
  NetworkConfig config;
  config.sizes = {144, 32, 4};
  ASSERT_TRUE(trainer.create_model(config).ok());
  EXPECT_FALSE(trainer.network().has_input_background());
}

}  // namespace
