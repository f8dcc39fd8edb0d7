// Rows of A as (column, value) lists of their non-zero entries, gathered a panel of rows at a time,
// so that the fast gemm kernels touch only the rows of B that a non-zero entry selects.
#pragma once
#include <vector>

namespace scratchnet {

struct Nonzero {
  int index;
  float value;
};

// Rows are gathered this many at a time: bounded scratch, and a panel's column block of B stays in cache.
constexpr int kGemmPanelRows = 64;

class SparseRowPanel {
 public:
  // Gathers rows [first, first + rows) of A[·×K].
  void gather(const float* A, int K, int first, int rows) {
    entries_.resize(static_cast<size_t>(rows) * K);
    starts_.resize(static_cast<size_t>(rows) + 1);
    size_t count = 0;
    for (int r = 0; r < rows; ++r) {
      starts_[r] = count;
      const float* row = A + static_cast<size_t>(first + r) * K;
      for (int k = 0; k < K; ++k) {
        if (row[k] != 0.f) entries_[count++] = Nonzero{k, row[k]};
      }
    }
    starts_[rows] = count;
  }
  const Nonzero* row(int r) const { return entries_.data() + starts_[r]; }
  int row_size(int r) const { return static_cast<int>(starts_[r + 1] - starts_[r]); }

 private:
  std::vector<Nonzero> entries_;
  std::vector<size_t> starts_;
};

}  // namespace scratchnet
