// The training loop allocates nothing per batch (issue 5: keep the hot loop free of allocations): this file
// replaces the global operator new with one that counts, and holds a call of many batches to the allocations
// of a call of few. On the default network's first-layer shape, so the chunked forward and the fused step run.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "trainer.h"
#include "test_helpers.h"

namespace {

std::atomic<long> g_allocations{0};

void* counted_allocation(std::size_t size, std::size_t alignment) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else {
    size = (size + alignment - 1) / alignment * alignment;  // aligned_alloc wants a multiple of the alignment
    p = std::aligned_alloc(alignment, size);
  }
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size, 0); }
void* operator new[](std::size_t size) { return counted_allocation(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_allocation(size, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_allocation(size, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

// 28×28 images, a fifth of their pixels inked, like MNIST's.
RawSet sparse_images(size_t count, uint64_t seed) {
  return make_speckled_set(count, 28, 10, seed, [](int, int) { return 20; });
}

// Allocations made by trainer.train(batches).
long allocations_of_a_call(Trainer& trainer, int batches) {
  const long before = g_allocations.load();
  const TrainSummary summary = trainer.train(batches);
  const long made = g_allocations.load() - before;
  EXPECT_EQ(summary.error, "");
  EXPECT_EQ(summary.batches, batches);
  return made;
}

TEST(HotLoop, ATrainingCallAllocatesTheSameForFewBatchesAsForMany) {
  for (OutputLoss output : {OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy}) {
    Trainer trainer;
    ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(sparse_images(640, 3))).ok());
    NetworkConfig config;
    config.sizes = {784, 512, 10};  // 784×512 weights: 1.6 MB, past the size where the forward takes chunks
    config.output = output;
    ASSERT_TRUE(trainer.create_model(config).ok());
    TrainOptions options;
    options.batch_size = 64;
    options.learning_rate = 0.05f;
    options.momentum = 0.9f;
    ASSERT_TRUE(trainer.set_options(options).ok());
    allocations_of_a_call(trainer, 3);  // buffers are sized on first use
    const long few = allocations_of_a_call(trainer, 2);
    const long many = allocations_of_a_call(trainer, 22);  // across an epoch's end (10 batches an epoch)
    EXPECT_EQ(many, few) << output_loss_name(output) << ": batches allocate";
  }
}

}  // namespace
