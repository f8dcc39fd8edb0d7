// libFuzzer target: the IDX reader (parse_idx) and the data set built on it (Dataset::check_headers,
// Dataset::from_idx). Beyond "no crash" under ASan and UBSan it checks that
//   - parse_idx reads only the header it promises to read (the rest of the file is not even allocated),
//     and what it accepts is exactly what the bytes declare: dims, header length, element count, file length;
//   - the header-only check and the full load give the same answer, message for message (the page refuses a
//     bad file from its first bytes before giving up the set it holds, so they must never disagree);
//   - a loaded set holds the counts, shape, pixels and labels the bytes hold, its batches and pixel sums are
//     the bytes' own, and a refused load leaves the destination set as it was.
//
// Input: byte 0 is the sample limit (0: all), bytes 1-2 the images file's length n (little-endian, cut to
// what is there), then n bytes of images file, then the labels file (cpp/fuzz/make-corpus.mjs writes the seeds).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataset.h"
#include "idx.h"
#include "fuzz_check.h"

using namespace scratchnet;

namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// A heap copy of exactly the first `n` bytes: any read past them is an ASan error, not a silent read.
std::unique_ptr<uint8_t[]> head_copy(const std::vector<uint8_t>& file, size_t n) {
  n = std::min(n, file.size());
  std::unique_ptr<uint8_t[]> head(new uint8_t[n ? n : 1]);
  if (n) std::memcpy(head.get(), file.data(), n);
  return head;
}

// parse_idx on its own, at the rank the file claims (and at rank 3, the usual caller's), from the whole file
// and from just its header.
void check_parse(const std::vector<uint8_t>& file) {
  const int ranks[2] = {file.size() >= 4 ? file[3] % 5 : 1, 3};
  for (int rank : ranks) {
    IdxView whole, from_head;
    const Status s = parse_idx(file.data(), file.size(), rank, "f", &whole);
    const auto head = head_copy(file, 4 + 4 * static_cast<size_t>(rank));
    const Status h = parse_idx(head.get(), file.size(), rank, "f", &from_head);
    CHECK(s.ok() == h.ok() && s.error == h.error);
    if (!s.ok()) {
      CHECK(s.error.rfind("f: ", 0) == 0);  // the message names the file
      CHECK(whole.dims.empty() && whole.header_bytes == 0);  // the view is untouched on error
      continue;
    }
    CHECK(whole.dims == from_head.dims && whole.header_bytes == from_head.header_bytes &&
          whole.element_count == from_head.element_count);
    CHECK(file[0] == 0 && file[1] == 0 && file[2] == 0x08 && file[3] == rank);
    CHECK(whole.header_bytes == 4 + 4 * static_cast<size_t>(rank));
    CHECK(whole.dims.size() == static_cast<size_t>(rank));
    uint64_t count = 1;
    for (int i = 0; i < rank; ++i) {
      CHECK(whole.dims[i] == be32(file.data() + 4 + 4 * i) && whole.dims[i] != 0);
      count *= whole.dims[i];
    }
    CHECK(whole.element_count == count);
    CHECK(whole.header_bytes + whole.element_count == file.size());
  }
}

// A small set to load into first, so that a refused load can be seen to leave it alone.
Dataset sentinel_set() {
  std::vector<uint8_t> images = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9};
  std::vector<uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 1, 4};
  Dataset set;
  CHECK(Dataset::from_idx(images, labels, 0, &set).ok());
  return set;
}

void check_dataset(const std::vector<uint8_t>& images, const std::vector<uint8_t>& labels, size_t limit) {
  const auto images_head = head_copy(images, Dataset::kIdxHeadBytes);
  const auto labels_head = head_copy(labels, Dataset::kIdxHeadBytes);
  const Status h = Dataset::check_headers(images_head.get(), images.size(), labels_head.get(), labels.size());
  Dataset set = sentinel_set();
  const Status s = Dataset::from_idx(images, labels, limit, &set);
  CHECK(s.ok() == h.ok() && s.error == h.error);
  if (!s.ok()) {
    CHECK(!s.error.empty());
    CHECK(set.size() == 1 && set.rows() == 1 && set.cols() == 2 && set.label(0) == 4 && set.image(0)[1] == 9);
    return;
  }

  // The shape and counts are the headers' own.
  const bool rank2 = images[3] == 2;
  const size_t header = rank2 ? 12 : 16;
  const uint32_t n = be32(images.data() + 4);
  const uint32_t rows = rank2 ? 1 : be32(images.data() + 8);
  const uint32_t cols = be32(images.data() + (rank2 ? 8 : 12));
  CHECK(be32(labels.data() + 4) == n && labels.size() == 8 + static_cast<size_t>(n));
  const size_t features = static_cast<size_t>(rows) * cols;
  CHECK(images.size() == header + n * features);
  CHECK(features >= 1 && features <= 16384);
  const size_t kept = limit > 0 && limit < n ? limit : n;
  CHECK(set.size() == kept && !set.empty());
  CHECK(set.rows() == static_cast<int>(rows) && set.cols() == static_cast<int>(cols));
  CHECK(set.features() == static_cast<int>(features));

  // Every kept pixel and label is the file's, and it keeps no more than it uses.
  int max_label = 0;
  for (size_t i = 0; i < kept; ++i) {
    CHECK(std::memcmp(set.image(i), images.data() + header + i * features, features) == 0);
    CHECK(set.label(i) == labels[8 + i]);
    max_label = std::max<int>(max_label, labels[8 + i]);
  }
  CHECK(set.max_label() == max_label && set.classes() == max_label + 1);
  CHECK(set.images_.size() == header + kept * features && set.labels_.size() == 8 + kept);

  // Batches come from the same bytes: the last and first samples, scaled as pixel / 255.
  const int F = static_cast<int>(features);
  const uint32_t picks[2] = {static_cast<uint32_t>(kept - 1), 0};
  std::vector<float> x(2 * features);
  std::vector<uint8_t> got_labels(2), used(features);
  set.fill_batch(picks, 2, x.data(), got_labels.data(), used.data());
  for (int b = 0; b < 2; ++b) {
    CHECK(got_labels[b] == labels[8 + picks[b]]);
    for (int k = 0; k < F; ++k) {
      const uint8_t pixel = images[header + picks[b] * features + k];
      CHECK(std::fabs(x[b * features + k] - pixel / 255.f) <= 1e-6f);
    }
  }
  for (int k = 0; k < F; ++k)
    CHECK(used[k] == (images[header + picks[0] * features + k] != 0 || images[header + k] != 0));
  set.fill_range(kept - 1, 1, x.data(), got_labels.data());
  CHECK(got_labels[0] == labels[8 + kept - 1]);

  // The pixel sums that fit an input scaling.
  const PixelStats& stats = set.pixel_stats();
  CHECK(stats.sum.size() == features && stats.sum_squares.size() == features);
  uint64_t lit = 0;
  for (size_t k = 0; k < features; ++k) {
    uint64_t sum = 0, squares = 0;
    for (size_t i = 0; i < kept; ++i) {
      const uint64_t p = images[header + i * features + k];
      sum += p;
      squares += p * p;
      lit += p != 0;
    }
    CHECK(stats.sum[k] == sum && stats.sum_squares[k] == squares);
  }
  CHECK(stats.lit == lit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const size_t limit = data[0];
  const size_t images_size = std::min<size_t>(data[1] | (size_t{data[2]} << 8), size - 3);
  // Exact-size vectors, so that ASan sees a read past either file.
  const std::vector<uint8_t> images(data + 3, data + 3 + images_size);
  const std::vector<uint8_t> labels(data + 3 + images_size, data + size);
  check_parse(images);
  check_parse(labels);
  check_dataset(images, labels, limit);
  return 0;
}
