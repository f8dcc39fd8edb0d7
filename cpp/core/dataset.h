// A labelled image set kept as the uint8 pixels of its IDX file (60,000 × 784 = 47 MB for MNIST):
// never a float copy of the whole set. Batches are scaled to floats (InputScaling) as they are drawn.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "input_scaling.h"
#include "status.h"

namespace scratchnet {

// Sums over every image of a set, per pixel, for fitting an input scaling (64-bit: exact for any set in memory).
struct PixelStats {
  std::vector<uint64_t> sum, sum_squares;
  uint64_t lit = 0;  // pixels that are not zero, over the whole set
};

class Dataset {
 public:
  // Takes the bytes of an images file (rank 3, N×rows×cols, or rank 2, N×features: one row) and a labels
  // file (rank 1), checks both and that they agree, and keeps the first `limit` samples (0: all). On error,
  // `out` is left unchanged.
  static Status from_idx(std::vector<uint8_t> images_file, std::vector<uint8_t> labels_file, size_t limit,
                         Dataset* out);

  // Every check of from_idx, from just the files' first bytes (kIdxHeadBytes of each, or the whole file if
  // shorter) and their lengths: lets a caller refuse a bad file before giving up the set it holds.
  static Status check_headers(const uint8_t* images_head, size_t images_size, const uint8_t* labels_head,
                              size_t labels_size);
  static constexpr size_t kIdxHeadBytes = 16;

  size_t size() const { return count_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int features() const { return rows_ * cols_; }
  int max_label() const { return max_label_; }
  // The classes its labels name: the largest label + 1.
  int classes() const { return max_label_ + 1; }
  bool empty() const { return count_ == 0; }

  const uint8_t* image(size_t i) const { return images_.data() + pixel_offset_ + i * features(); }
  // Computed on first use and kept: a set is fitted again for every model made on it.
  const PixelStats& pixel_stats() const;
  uint8_t label(size_t i) const { return labels_[label_offset_ + i]; }

  // x[n×features] = the scaled pixels and labels[n] for the samples at indices[0..n). With `used`, also
  // used[features] = 1 where any of these samples has a non-zero input, else 0, from the same read of the pixels.
  void fill_batch(const uint32_t* indices, int n, const InputScaling& scaling, float* x, uint8_t* labels,
                  uint8_t* used = nullptr) const;
  // The same for the contiguous samples [first, first + n).
  void fill_range(size_t first, int n, const InputScaling& scaling, float* x, uint8_t* labels) const;
  // Both with pixel / 255 (InputScaling::unit).
  void fill_batch(const uint32_t* indices, int n, float* x, uint8_t* labels, uint8_t* used = nullptr) const {
    fill_batch(indices, n, InputScaling::unit(features()), x, labels, used);
  }
  void fill_range(size_t first, int n, float* x, uint8_t* labels) const {
    fill_range(first, n, InputScaling::unit(features()), x, labels);
  }

  std::vector<uint8_t> images_, labels_;  // the files as given; pixels and labels start at the offsets
  size_t pixel_offset_ = 0, label_offset_ = 0;
  size_t count_ = 0;
  mutable std::shared_ptr<const PixelStats> stats_;
  int rows_ = 0, cols_ = 0, max_label_ = 0;
};

}  // namespace scratchnet
