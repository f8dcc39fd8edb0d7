#include "dataset.h"

#include <algorithm>

#include "idx.h"

namespace scratchnet {

namespace {
struct IdxPair {
  IdxView images, labels;
};

Status check_pair(const uint8_t* images_head, size_t images_size, const uint8_t* labels_head, size_t labels_size,
                  IdxPair* pair) {
  if (Status s = parse_idx(images_head, images_size, 3, "images file", &pair->images); !s.ok()) return s;
  if (Status s = parse_idx(labels_head, labels_size, 1, "labels file", &pair->labels); !s.ok()) return s;
  if (pair->images.dims[0] != pair->labels.dims[0])
    return Status::Error("the images file holds " + std::to_string(pair->images.dims[0]) +
                         " images but the labels file holds " + std::to_string(pair->labels.dims[0]) + " labels");
  if (pair->images.dims[1] > 1024 || pair->images.dims[2] > 1024)
    return Status::Error("images of " + std::to_string(pair->images.dims[1]) + "x" +
                         std::to_string(pair->images.dims[2]) + " pixels are too large (at most 1024x1024)");
  return Status::Ok();
}

size_t kept_count(const IdxPair& pair, size_t limit) {
  return limit > 0 && limit < pair.images.dims[0] ? limit : pair.images.dims[0];
}
}  // namespace

Status Dataset::check_headers(const uint8_t* images_head, size_t images_size, const uint8_t* labels_head,
                              size_t labels_size) {
  IdxPair pair;
  return check_pair(images_head, images_size, labels_head, labels_size, &pair);
}

Status Dataset::from_idx(std::vector<uint8_t> images_file, std::vector<uint8_t> labels_file, size_t limit,
                         Dataset* out) {
  IdxPair pair;
  if (Status s = check_pair(images_file.data(), images_file.size(), labels_file.data(), labels_file.size(), &pair);
      !s.ok())
    return s;
  Dataset result;
  result.count_ = kept_count(pair, limit);
  result.rows_ = static_cast<int>(pair.images.dims[1]);
  result.cols_ = static_cast<int>(pair.images.dims[2]);
  result.pixel_offset_ = pair.images.header_bytes;
  result.label_offset_ = pair.labels.header_bytes;
  // Keep only what is used: a slice should not hold the whole set in memory.
  const size_t images_used = result.pixel_offset_ + result.count_ * result.features();
  if (images_file.size() > images_used) {
    images_file.resize(images_used);
    images_file.shrink_to_fit();
  }
  labels_file.resize(result.label_offset_ + result.count_);
  result.max_label_ = *std::max_element(labels_file.begin() + result.label_offset_, labels_file.end());
  result.images_ = std::move(images_file);
  result.labels_ = std::move(labels_file);
  *out = std::move(result);
  return Status::Ok();
}

namespace {

// x[0..n) = pixels / 255, and with `used`, used[p] |= pixels[p]: one read of the pixels for both.
void scale_pixels(const uint8_t* pixels, int n, float* x, uint8_t* used) {
  constexpr float kScale = 1.f / 255.f;
  if (!used) {
    for (int p = 0; p < n; ++p) x[p] = pixels[p] * kScale;
    return;
  }
  for (int p = 0; p < n; ++p) {
    x[p] = pixels[p] * kScale;
    used[p] |= pixels[p];
  }
}

}  // namespace

void Dataset::fill_sample(size_t i, float* x, uint8_t* label_out, uint8_t* used) const {
  scale_pixels(image(i), features(), x, used);
  *label_out = label(i);
}

void Dataset::fill_batch(const uint32_t* indices, int n, float* x, uint8_t* labels, uint8_t* used) const {
  const int F = features();
  if (used) std::fill(used, used + F, 0);
  for (int b = 0; b < n; ++b) fill_sample(indices[b], x + static_cast<size_t>(b) * F, labels + b, used);
  if (used)
    for (int p = 0; p < F; ++p) used[p] = used[p] != 0;
}

void Dataset::fill_range(size_t first, int n, float* x, uint8_t* labels) const {
  for (int b = 0; b < n; ++b) fill_sample(first + b, x + static_cast<size_t>(b) * features(), labels + b, nullptr);
}

}  // namespace scratchnet
