#include "dataset.h"

#include <algorithm>

#include "idx.h"

namespace scratchnet {

Status Dataset::from_idx(std::vector<uint8_t> images_file, std::vector<uint8_t> labels_file, size_t limit,
                         Dataset* out) {
  IdxView images, labels;
  if (Status s = parse_idx(images_file.data(), images_file.size(), 3, "images file", &images); !s.ok()) return s;
  if (Status s = parse_idx(labels_file.data(), labels_file.size(), 1, "labels file", &labels); !s.ok()) return s;
  if (images.dims[0] != labels.dims[0])
    return Status::Error("the images file holds " + std::to_string(images.dims[0]) + " images but the labels file holds " +
                         std::to_string(labels.dims[0]) + " labels");
  if (images.dims[1] > 1024 || images.dims[2] > 1024)
    return Status::Error("images of " + std::to_string(images.dims[1]) + "x" + std::to_string(images.dims[2]) +
                         " pixels are too large (at most 1024x1024)");
  int max_label = 0;
  for (size_t i = 0; i < labels.element_count; ++i) {
    const int label = labels_file[labels.header_bytes + i];
    if (label >= kMaxClasses) return Status::Error("label out of range");
    if (label > max_label) max_label = label;
  }
  Dataset result;
  result.count_ = limit > 0 && limit < images.dims[0] ? limit : images.dims[0];
  result.rows_ = static_cast<int>(images.dims[1]);
  result.cols_ = static_cast<int>(images.dims[2]);
  result.pixel_offset_ = images.header_bytes;
  result.label_offset_ = labels.header_bytes;
  if (result.count_ < images.dims[0]) {
    // Keep only what is used: a slice should not hold the whole set in memory.
    images_file.resize(images.header_bytes + result.count_ * result.features());
    images_file.shrink_to_fit();
    labels_file.resize(labels.header_bytes + result.count_);
    max_label = 0;
    for (size_t i = 0; i < result.count_; ++i) max_label = std::max<int>(max_label, labels_file[labels.header_bytes + i]);
  }
  result.max_label_ = max_label;
  result.images_ = std::move(images_file);
  result.labels_ = std::move(labels_file);
  *out = std::move(result);
  return Status::Ok();
}

void Dataset::fill_sample(size_t i, float* x, uint8_t* label_out) const {
  constexpr float kScale = 1.f / 255.f;
  const uint8_t* pixels = image(i);
  const int F = features();
  for (int p = 0; p < F; ++p) x[p] = pixels[p] * kScale;
  *label_out = label(i);
}

void Dataset::fill_batch(const uint32_t* indices, int n, float* x, uint8_t* labels) const {
  for (int b = 0; b < n; ++b) fill_sample(indices[b], x + static_cast<size_t>(b) * features(), labels + b);
}

void Dataset::fill_range(size_t first, int n, float* x, uint8_t* labels) const {
  for (int b = 0; b < n; ++b) fill_sample(first + b, x + static_cast<size_t>(b) * features(), labels + b);
}

}  // namespace scratchnet
