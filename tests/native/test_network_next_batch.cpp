// A step told the next batch (NextBatch) runs that batch's first-layer forward as it writes the first layer
// (DenseLayer::backward_and_step), and the next train_batch starts from it: training goes as without, to float
// rounding (the SIMD kernels sum that forward in two runs of the weights' rows, kernels_wasmsimd.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "network.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;

// 784 inputs into 400 units: a first layer of 1.25 MB, which the SIMD kernels step and run forward chunk by chunk
// (400 is no multiple of their 28-column blocks either).
constexpr int kInputs = 784, kHidden = 400, kClasses = 10;

struct Batch {
  int size;
  std::vector<float> x;
  std::vector<uint8_t> labels, used;
};

// Mostly zero inputs, as MNIST's are.
Batch make_batch(Rng& rng, int size) {
  Batch batch{size, std::vector<float>(static_cast<size_t>(size) * kInputs, 0.f), std::vector<uint8_t>(size),
              std::vector<uint8_t>(kInputs, 0)};
  for (int b = 0; b < size; ++b) {
    batch.labels[b] = static_cast<uint8_t>(rng.uniform() * kClasses) % kClasses;
    for (int k = 0; k < kInputs; ++k) {
      float& x = batch.x[static_cast<size_t>(b) * kInputs + k];
      if (rng.uniform() < 0.2f) x = rng.uniform();
      batch.used[k] |= x != 0.f;
    }
  }
  return batch;
}

NetworkConfig config() {
  NetworkConfig c;
  c.sizes = {kInputs, kHidden, kClasses};
  c.seed = 12;
  return c;
}

// The largest difference between a and b, relative to the larger of |a|, |b| and 1.
double largest_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double largest = a.size() == b.size() ? 0.0 : 1.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double size = std::max({1.0, std::fabs(static_cast<double>(a[i])), std::fabs(static_cast<double>(b[i]))});
    largest = std::max(largest, std::fabs(static_cast<double>(a[i]) - b[i]) / size);
  }
  return largest;
}

TEST(NextBatch, AStepThatRunsTheNextForwardTrainsAsWithout) {
  Rng rng(5);
  std::vector<Batch> batches;
  for (int i = 0; i < 12; ++i) batches.push_back(make_batch(rng, i == 7 ? 23 : 40));  // one shorter, as an epoch's last
  Network told(config()), untold(config());
  for (size_t i = 0; i < batches.size(); ++i) {
    const Batch& batch = batches[i];
    // Both defer the same rows; only `told` is given the next inputs themselves.
    NextBatch next, next_without_inputs;
    const bool has_next = i + 1 < batches.size();
    if (has_next) {
      next = NextBatch{batches[i + 1].size, batches[i + 1].x.data(), batches[i + 1].used.data()};
      next_without_inputs = NextBatch{batches[i + 1].size, nullptr, batches[i + 1].used.data()};
    }
    const BatchResult a = told.train_batch(batch.size, batch.x.data(), batch.labels.data(), 0.2f, 0.9f, has_next ? &next : nullptr);
    const BatchResult b = untold.train_batch(batch.size, batch.x.data(), batch.labels.data(), 0.2f, 0.9f,
                                             has_next ? &next_without_inputs : nullptr);
    ASSERT_TRUE(a.finite && b.finite);
    ASSERT_NEAR(a.loss, b.loss, 1e-5 * b.loss) << "batch " << i;
#if !defined(__wasm_simd128__)
    ASSERT_EQ(a.loss, b.loss) << "batch " << i;
#endif
    ASSERT_EQ(a.correct, b.correct) << "batch " << i;
  }
  std::vector<float> told_parameters, untold_parameters;
  told.copy_parameters_to(told_parameters);
  untold.copy_parameters_to(untold_parameters);
  EXPECT_LT(largest_relative_difference(told_parameters, untold_parameters), 1e-5);
#if !defined(__wasm_simd128__)
  // The scalar kernels' fused forward sums as the plain one does: the same bits.
  EXPECT_EQ(told_parameters, untold_parameters);
#endif
}

TEST(NextBatch, NewParametersDropTheForwardRunOnTheOldOnes) {
  // A rolled-back step (the trainer copies a checkpoint back) must not leave the next batch's forward behind:
  // the next train_batch runs it again on the parameters it now has.
  Rng rng(6);
  const Batch first = make_batch(rng, 32), second = make_batch(rng, 32);
  Network net(config()), fresh(config());
  std::vector<float> start;
  net.copy_parameters_to(start);
  const NextBatch next{second.size, second.x.data(), nullptr};
  ASSERT_TRUE(net.train_batch(first.size, first.x.data(), first.labels.data(), 0.5f, 0.f, &next).finite);
  net.copy_parameters_from(start);
  const BatchResult rolled_back = net.train_batch(second.size, second.x.data(), second.labels.data(), 0.5f, 0.f);
  const BatchResult from_start = fresh.train_batch(second.size, second.x.data(), second.labels.data(), 0.5f, 0.f);
  EXPECT_EQ(rolled_back.loss, from_start.loss);
}

TEST(NextBatch, ADifferentBatchThanTheOneAnnouncedRunsItsOwnForward) {
  Rng rng(7);
  const Batch first = make_batch(rng, 32), announced = make_batch(rng, 32), other = make_batch(rng, 32);
  Network net(config()), reference(config());
  const NextBatch next{announced.size, announced.x.data(), nullptr};
  ASSERT_TRUE(net.train_batch(first.size, first.x.data(), first.labels.data(), 0.5f, 0.9f, &next).finite);
  ASSERT_TRUE(reference.train_batch(first.size, first.x.data(), first.labels.data(), 0.5f, 0.9f).finite);
  EXPECT_EQ(net.train_batch(other.size, other.x.data(), other.labels.data(), 0.5f, 0.9f).loss,
            reference.train_batch(other.size, other.x.data(), other.labels.data(), 0.5f, 0.9f).loss);
}

}  // namespace
