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
  // Images are N×rows×cols (rank 3) or N×features (rank 2): the rank is the header's fourth byte.
  const int images_rank = images_size >= 4 && images_head[3] == 2 ? 2 : 3;
  if (Status s = parse_idx(images_head, images_size, images_rank, "images file", &pair->images); !s.ok()) return s;
  if (images_rank == 2) pair->images.dims.insert(pair->images.dims.begin() + 1, 1u);  // one row of features
  if (Status s = parse_idx(labels_head, labels_size, 1, "labels file", &pair->labels); !s.ok()) return s;
  if (pair->images.dims[0] != pair->labels.dims[0])
    return Status::Error("the images file holds " + std::to_string(pair->images.dims[0]) +
                         " images but the labels file holds " + std::to_string(pair->labels.dims[0]) + " labels");
  if (pair->images.dims[1] > 1024 || pair->images.dims[2] > 16384 ||
      static_cast<uint64_t>(pair->images.dims[1]) * pair->images.dims[2] > 16384)
    return Status::Error("images of " + std::to_string(pair->images.dims[1]) + "x" +
                         std::to_string(pair->images.dims[2]) +
                         " pixels are too large (at most 16384 pixels, the widest layer the engine takes: 128x128)");
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

const PixelStats& Dataset::pixel_stats() const {
  if (!stats_) {
    auto stats = std::make_shared<PixelStats>();
    const int F = features();
    stats->sum.assign(F, 0);
    stats->sum_squares.assign(F, 0);
    for (size_t i = 0; i < size(); ++i) {
      const uint8_t* pixels = image(i);
      for (int k = 0; k < F; ++k) {
        stats->sum[k] += pixels[k];
        stats->sum_squares[k] += static_cast<uint32_t>(pixels[k]) * pixels[k];
        stats->lit += pixels[k] != 0;
      }
    }
    stats_ = std::move(stats);
  }
  return *stats_;
}

void Dataset::fill_batch(const uint32_t* indices, int n, const InputScaling& scaling, float* x, uint8_t* labels,
                         uint8_t* used) const {
  const int F = features();
  if (used) std::fill(used, used + F, 0);
  for (int b = 0; b < n; ++b) {
    scaling.apply(image(indices[b]), x + static_cast<size_t>(b) * F, used);
    labels[b] = label(indices[b]);
  }
  if (used)
    for (int p = 0; p < F; ++p) used[p] = used[p] != 0;
}

void Dataset::fill_range(size_t first, int n, const InputScaling& scaling, float* x, uint8_t* labels) const {
  for (int b = 0; b < n; ++b) {
    scaling.apply(image(first + b), x + static_cast<size_t>(b) * features(), nullptr);
    labels[b] = label(first + b);
  }
}

}  // namespace scratchnet
