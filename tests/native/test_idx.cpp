// IDX parsing (idx.h): good files are read exactly, and every kind of bad file is refused with a message
// that says what is wrong (the user sees it when a download went wrong). Dataset: test_dataset.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dataset.h"
#include "idx.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

Status parse(const std::vector<uint8_t>& file, int rank, IdxView* view) {
  // Vectors are exact-size allocations: a read past the end leaves the buffer (visible under ASan/valgrind).
  return parse_idx(file.data(), file.size(), rank, "test file", view);
}

TEST(ParseIdx, ReadsRank3Images) {
  const std::vector<uint8_t> pixels(2 * 28 * 28, 7);
  const std::vector<uint8_t> file = idx_images(2, 28, 28, pixels);
  IdxView view;
  const Status s = parse(file, 3, &view);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(view.dims, (std::vector<uint32_t>{2, 28, 28}));
  EXPECT_EQ(view.header_bytes, 16u);
  EXPECT_EQ(view.element_count, 2u * 28 * 28);
}

TEST(ParseIdx, ReadsRank1LabelsWithBigEndianDimensions) {
  // 0x0102 labels: the dimension is big-endian, so a byte-order mistake reads 0x02010000.
  const std::vector<uint8_t> labels(0x0102, 1);
  const std::vector<uint8_t> file = idx_labels(labels);
  ASSERT_EQ(file[4], 0);
  ASSERT_EQ(file[6], 1);
  IdxView view;
  const Status s = parse(file, 1, &view);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(view.dims, (std::vector<uint32_t>{0x0102}));
  EXPECT_EQ(view.header_bytes, 8u);
  EXPECT_EQ(view.element_count, 0x0102u);
}

TEST(ParseIdx, RejectsAnEmptyFile) {
  IdxView view;
  EXPECT_ERROR_CONTAINS(parse({}, 1, &view).error, "empty");
  EXPECT_ERROR_CONTAINS(parse({}, 1, &view).error, "test file");  // names which file
}

TEST(ParseIdx, RejectsAGzipFileWithAHint) {
  std::vector<uint8_t> file = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3};
  IdxView view;
  EXPECT_ERROR_CONTAINS(parse(file, 1, &view).error, "gzip");
  EXPECT_ERROR_CONTAINS(parse(file, 1, &view).error, "decompress");
}

TEST(ParseIdx, RejectsWrongMagicBytes) {
  std::vector<uint8_t> file = idx_labels({1, 2, 3});
  file[0] = 'P';
  file[1] = 'K';
  IdxView view;
  EXPECT_ERROR_CONTAINS(parse(file, 1, &view).error, "not an IDX file");
  file = idx_labels({1, 2, 3});
  file[1] = 1;
  EXPECT_ERROR_CONTAINS(parse(file, 1, &view).error, "not an IDX file");
}

TEST(ParseIdx, RejectsOtherDataTypes) {
  // 0x0D is IDX's float type: valid IDX, but not pixels this reader handles.
  const std::vector<uint8_t> file = make_idx(0x0D, {3}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  IdxView view;
  const std::string error = parse(file, 1, &view).error;
  EXPECT_ERROR_CONTAINS(error, "data type");
  EXPECT_ERROR_CONTAINS(error, "0x0d");
}

TEST(ParseIdx, RejectsTheWrongRank) {
  // A labels file where images are expected, and the other way round.
  IdxView view;
  const std::string as_images = parse(idx_labels({1, 2, 3}), 3, &view).error;
  EXPECT_ERROR_CONTAINS(as_images, "expected 3 dimensions");
  EXPECT_ERROR_CONTAINS(as_images, "has 1");
  const std::string as_labels = parse(idx_images(1, 2, 2, {1, 2, 3, 4}), 1, &view).error;
  EXPECT_ERROR_CONTAINS(as_labels, "expected 1 dimensions");
}

TEST(ParseIdx, RejectsAShortHeader) {
  IdxView view;
  EXPECT_ERROR_CONTAINS(parse({0}, 1, &view).error, "too short");
  EXPECT_ERROR_CONTAINS(parse({0, 0, 8}, 1, &view).error, "too short");
  // The magic is there but the dimensions are cut: 4..15 bytes of a rank-3 header.
  const std::vector<uint8_t> full = idx_images(1, 2, 2, {1, 2, 3, 4});
  for (size_t cut = 4; cut < 16; ++cut) {
    const std::vector<uint8_t> file(full.begin(), full.begin() + cut);
    SCOPED_TRACE(::testing::Message() << "cut at " << cut);
    EXPECT_ERROR_CONTAINS(parse(file, 3, &view).error, "header");
  }
}

TEST(ParseIdx, RejectsTruncatedData) {
  std::vector<uint8_t> file = idx_images(2, 2, 2, {1, 2, 3, 4, 5, 6, 7, 8});
  file.pop_back();
  IdxView view;
  const std::string error = parse(file, 3, &view).error;
  EXPECT_ERROR_CONTAINS(error, "truncated");
  EXPECT_ERROR_CONTAINS(error, "24");  // what the header declares
  EXPECT_ERROR_CONTAINS(error, "23");  // what there is
  // The header alone, no data at all.
  EXPECT_ERROR_CONTAINS(parse(std::vector<uint8_t>(file.begin(), file.begin() + 16), 3, &view).error, "truncated");
}

TEST(ParseIdx, RejectsTrailingBytes) {
  std::vector<uint8_t> file = idx_labels({1, 2, 3});
  file.push_back(0);
  file.push_back(0);
  IdxView view;
  const std::string error = parse(file, 1, &view).error;
  EXPECT_ERROR_CONTAINS(error, "2 bytes more than its header declares");
}

TEST(ParseIdx, RejectsAZeroDimension) {
  IdxView view;
  EXPECT_ERROR_CONTAINS(parse(idx_images(0, 28, 28, {}), 3, &view).error, "dimension 0 is zero");
  EXPECT_ERROR_CONTAINS(parse(idx_images(5, 28, 0, {}), 3, &view).error, "dimension 2 is zero");
  EXPECT_ERROR_CONTAINS(parse(idx_labels({}), 1, &view).error, "is zero");
}

TEST(ParseIdx, RejectsImplausiblyLargeDimensionsWithoutReadingThem) {
  // A header that claims ~2^60 bytes in a 16-byte file: must be refused, not overflow or allocate.
  IdxView view;
  EXPECT_ERROR_CONTAINS(parse(idx_images(0xFFFFFFFFu, 1, 1, {}), 3, &view).error, "2 GB");
  // 2^90 elements: the product of the dimensions must not wrap around to something small.
  EXPECT_ERROR_CONTAINS(parse(idx_images(1u << 30, 1u << 30, 1u << 30, {}), 3, &view).error, "2 GB");
  EXPECT_ERROR_CONTAINS(parse(idx_images(1u << 16, 1u << 16, 1u << 16, {}), 3, &view).error, "2 GB");
}

TEST(ParseIdx, LeavesTheViewUnchangedOnError) {
  IdxView view;
  view.header_bytes = 77;
  EXPECT_FALSE(parse(idx_labels({}), 1, &view).ok());
  EXPECT_EQ(view.header_bytes, 77u);
}

}  // namespace
