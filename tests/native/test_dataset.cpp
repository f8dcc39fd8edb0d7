// Dataset: a set read from IDX images and labels, its limit, its batches and their scaling, and the bad pairs
// of files it refuses, naming the file. The IDX parser itself: test_idx.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dataset.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

// 5 images of 2×3 pixels: image i holds 10·i + p, and pixel 0 of image 0 is the extremes.
RawSet small_set() {
  RawSet set;
  set.rows = 2;
  set.cols = 3;
  for (int i = 0; i < 5; ++i)
    for (int p = 0; p < 6; ++p) set.pixels.push_back(static_cast<uint8_t>(10 * i + p));
  set.pixels[1] = 255;
  set.labels = {3, 1, 0, 9, 2};
  return set;
}

TEST(Dataset, LoadsImagesAndLabels) {
  const RawSet set = small_set();
  Dataset data;
  const Status s = Dataset::from_idx(set.images_file(), set.labels_file(), 0, &data);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(data.size(), 5u);
  EXPECT_FALSE(data.empty());
  EXPECT_EQ(data.rows(), 2);
  EXPECT_EQ(data.cols(), 3);
  EXPECT_EQ(data.features(), 6);
  EXPECT_EQ(data.max_label(), 9);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(data.label(i), set.labels[i]);
    for (int p = 0; p < 6; ++p) EXPECT_EQ(data.image(i)[p], set.pixels[i * 6 + p]) << i << "," << p;
  }
}

TEST(Dataset, LimitKeepsTheFirstSamples) {
  const RawSet set = small_set();
  Dataset data;
  ASSERT_TRUE(Dataset::from_idx(set.images_file(), set.labels_file(), 3, &data).ok());
  EXPECT_EQ(data.size(), 3u);
  EXPECT_EQ(data.max_label(), 3);  // of the kept labels {3, 1, 0}, not the whole file's 9
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(data.label(i), set.labels[i]);
    EXPECT_EQ(data.image(i)[5], set.pixels[i * 6 + 5]);
  }
  // A limit at or past the count keeps everything.
  for (size_t limit : {size_t{5}, size_t{6}, size_t{1000}}) {
    ASSERT_TRUE(Dataset::from_idx(set.images_file(), set.labels_file(), limit, &data).ok());
    EXPECT_EQ(data.size(), 5u) << limit;
    EXPECT_EQ(data.max_label(), 9) << limit;
  }
  ASSERT_TRUE(Dataset::from_idx(set.images_file(), set.labels_file(), 1, &data).ok());
  EXPECT_EQ(data.size(), 1u);
  EXPECT_EQ(data.label(0), 3);
}

TEST(Dataset, FillBatchNormalisesPixelsToUnitRange) {
  const RawSet set = small_set();
  const Dataset data = load_dataset(set);
  const uint32_t indices[] = {4, 0, 2};
  std::vector<float> x(3 * 6, -1.f);
  std::vector<uint8_t> labels(3, 99);
  data.fill_batch(indices, 3, x.data(), labels.data());
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(labels[b], set.labels[indices[b]]);
    for (int p = 0; p < 6; ++p) {
      const uint8_t pixel = set.pixels[indices[b] * 6 + p];
      EXPECT_NEAR(x[b * 6 + p], pixel / 255.0, 1e-7) << b << "," << p;
    }
  }
  // The ends of the range: 0 stays an exact zero (the kernels skip it), 255 is 1.
  EXPECT_EQ(x[1 * 6 + 0], 0.f);
  EXPECT_EQ(x[1 * 6 + 1], 1.f);
}

// 5×7 images: each pixel is its value times 1/255 exactly. Some pixels are blank in every image and some in
// every other one: the used-pixel mask marks a pixel exactly when one of the batch's images has ink there.
TEST(Dataset, FillScalesEveryPixelOfWideImagesAndMarksTheUsedOnes) {
  RawSet set;
  set.rows = 5;
  set.cols = 7;
  const int F = 35, count = 16;
  for (int i = 0; i < count; ++i)
    for (int p = 0; p < F; ++p) {
      const bool blank = p % 5 == 0 || (p % 3 == 0 && i % 2 == 1);
      set.pixels.push_back(blank ? 0 : static_cast<uint8_t>(1 + (i * 37 + p * 11) % 255));
    }
  set.labels.assign(count, 1);
  const Dataset data = load_dataset(set);
  std::vector<uint32_t> indices(count);
  for (int i = 0; i < count; ++i) indices[i] = (i * 5) % count;
  std::vector<float> from_batch(count * F, -1.f), from_range(count * F, -1.f);
  std::vector<uint8_t> labels(count), used(F, 7);
  data.fill_batch(indices.data(), count, from_batch.data(), labels.data());
  data.fill_range(0, count, from_range.data(), labels.data());
  for (int b = 0; b < count; ++b)
    for (int p = 0; p < F; ++p) {
      EXPECT_EQ(from_batch[b * F + p], set.pixels[indices[b] * F + p] * (1.f / 255.f)) << b << "," << p;
      EXPECT_EQ(from_range[b * F + p], set.pixels[b * F + p] * (1.f / 255.f)) << b << "," << p;
    }

  // The odd images only (every third pixel is blank in each), then all of them.
  const uint32_t odd[] = {1, 3, 5, 7, 9};
  std::vector<float> x(5 * F);
  data.fill_batch(odd, 5, x.data(), labels.data(), used.data());
  for (int p = 0; p < F; ++p) EXPECT_EQ(used[p], p % 5 != 0 && p % 3 != 0) << p;
  std::vector<float> with_mask(count * F);
  data.fill_batch(indices.data(), count, with_mask.data(), labels.data(), used.data());
  EXPECT_EQ(with_mask, from_batch);
  for (int p = 0; p < F; ++p) EXPECT_EQ(used[p], p % 5 != 0) << p;
}

TEST(Dataset, FillRangeMatchesFillBatch) {
  const RawSet set = small_set();
  const Dataset data = load_dataset(set);
  const uint32_t indices[] = {1, 2, 3};
  std::vector<float> from_batch(3 * 6), from_range(3 * 6);
  std::vector<uint8_t> batch_labels(3), range_labels(3);
  data.fill_batch(indices, 3, from_batch.data(), batch_labels.data());
  data.fill_range(1, 3, from_range.data(), range_labels.data());
  EXPECT_EQ(from_batch, from_range);
  EXPECT_EQ(batch_labels, range_labels);
  EXPECT_EQ(range_labels, (std::vector<uint8_t>{1, 0, 9}));
  EXPECT_NEAR(from_range[0], 10 / 255.0, 1e-7);
}

TEST(Dataset, RejectsImageLabelCountMismatch) {
  const RawSet set = small_set();
  Dataset data;
  const std::vector<uint8_t> four_labels = idx_labels({1, 2, 3, 4});
  const std::string error = Dataset::from_idx(set.images_file(), four_labels, 0, &data).error;
  EXPECT_ERROR_CONTAINS(error, "5 images");
  EXPECT_ERROR_CONTAINS(error, "4 labels");
}

TEST(Dataset, NamesWhichFileIsBad) {
  const RawSet set = small_set();
  Dataset data;
  std::vector<uint8_t> bad_labels = set.labels_file();
  bad_labels.pop_back();
  EXPECT_ERROR_CONTAINS(Dataset::from_idx(set.images_file(), bad_labels, 0, &data).error, "labels file");
  std::vector<uint8_t> bad_images = set.images_file();
  bad_images.push_back(0);
  EXPECT_ERROR_CONTAINS(Dataset::from_idx(bad_images, set.labels_file(), 0, &data).error, "images file");
  // Swapped files: each has the wrong rank.
  const std::string swapped = Dataset::from_idx(set.labels_file(), set.images_file(), 0, &data).error;
  EXPECT_ERROR_CONTAINS(swapped, "images file");
  EXPECT_ERROR_CONTAINS(swapped, "dimensions");
}

TEST(Dataset, RejectsHugeImages) {
  const std::vector<uint8_t> images = idx_images(1, 2000, 1, std::vector<uint8_t>(2000, 0));
  Dataset data;
  EXPECT_ERROR_CONTAINS(Dataset::from_idx(images, idx_labels({0}), 0, &data).error, "too large");
}

TEST(Dataset, LeavesTheOutputUnchangedOnError) {
  const RawSet set = small_set();
  Dataset data = load_dataset(set);
  ASSERT_EQ(data.size(), 5u);
  EXPECT_FALSE(Dataset::from_idx({}, set.labels_file(), 0, &data).ok());
  EXPECT_FALSE(Dataset::from_idx(set.images_file(), idx_labels({1}), 0, &data).ok());
  EXPECT_EQ(data.size(), 5u);
  EXPECT_EQ(data.label(3), 9);
  EXPECT_EQ(data.image(4)[0], 40);
}

TEST(Dataset, DefaultIsEmpty) {
  const Dataset data;
  EXPECT_TRUE(data.empty());
  EXPECT_EQ(data.size(), 0u);
}

}  // namespace
