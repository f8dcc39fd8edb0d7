// Rows of A as (offset, value) lists of their non-zero entries, gathered a panel of rows at a time,
// so that the fast gemm kernels touch only the rows of B that a non-zero entry selects.
#pragma once
#include <cstddef>
#include <vector>
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace scratchnet {

// A non-zero entry of A's column k, which selects row k of B[K×N]: `offset` is that row's start, k·N, so that
// the kernels' inner loop finds it with one add (a multiply by a runtime N there slowed the forward). It fits an
// int: k·N lies within B, a layer's weights (at most 24M floats) or a batch's activations (at most 4096 × 16384).
struct Nonzero {
  int offset;
  float value;
};

// Rows are gathered this many at a time: bounded scratch, and a panel's column block of B stays in cache.
constexpr int kGemmPanelRows = 64;

class SparseRowPanel {
 public:
  // Room for `rows` rows of up to `width` entries each; gathers then fill rows in place, so threads may
  // gather disjoint rows of one panel.
  void reserve(int rows, int width) {
    // One entry more a row: the transposed gather writes one entry into each row in turn, and rows of 64 entries
    // (a batch of 64), 512 bytes apart, would share 8 sets of the L1 cache (performance.md).
    width_ = width + 1;
    entries_.resize(static_cast<size_t>(rows) * width_);
    sizes_.resize(rows);
  }

  // Gathers rows [first, first + rows) of A[·×K], for a product with B[K×N] (an entry's offset is k·N).
  void gather(const float* A, int K, int N, int first, int rows) {
    reserve(rows, K);
    gather_rows(A, K, N, first, 0, rows);
  }
  // Panel rows [begin, end) of a reserved panel from A's rows first + begin, ….
  void gather_rows(const float* A, int K, int N, int first, int begin, int end) {
    for (int r = begin; r < end; ++r) {
      const float* row = A + static_cast<size_t>(first + r) * K;
      Nonzero* out = entries_.data() + static_cast<size_t>(r) * width_;
      int count = 0;
      int k = 0;
#if defined(__wasm_simd128__)
      // Four entries at a time, a four of zeros skipped whole: an image's zeros come in runs (its margins). The
      // same entries as the loop below (−0 is a zero there too, a NaN is kept).
      for (; k + 4 <= K; k += 4) {
        if (!wasm_v128_any_true(wasm_f32x4_ne(wasm_v128_load(row + k), wasm_f32x4_splat(0.f)))) continue;
        for (int j = k; j < k + 4; ++j) {
          out[count] = Nonzero{j * N, row[j]};
          count += row[j] != 0.f;
        }
      }
#endif
      // Branch-free: every entry is written, and only a non-zero one is kept. Half of ReLU outputs are zero
      // in no predictable pattern, so a branch here would be mispredicted about half the time.
      for (; k < K; ++k) {
        out[count] = Nonzero{k * N, row[k]};
        count += row[k] != 0.f;
      }
      sizes_[r] = count;
    }
  }

  // Panel rows [begin, end) of a reserved panel from the rows first + begin, … of A = Xᵀ for X[M×K] (so panel
  // row r is X's column first + r), reading X row by row rather than transposing it first; for a product with B[M×N].
  void gather_transposed_rows(const float* X, int M, int K, int N, int first, int begin, int end) {
    for (int r = begin; r < end; ++r) sizes_[r] = 0;
    for (int m = 0; m < M; ++m) {
      const float* x = X + static_cast<size_t>(m) * K + first;
      for (int r = begin; r < end; ++r) {
        entries_[static_cast<size_t>(r) * width_ + sizes_[r]] = Nonzero{m * N, x[r]};
        sizes_[r] += x[r] != 0.f;
      }
    }
  }

  const Nonzero* row(int r) const { return entries_.data() + static_cast<size_t>(r) * width_; }
  int row_size(int r) const { return sizes_[r]; }

 private:
  std::vector<Nonzero> entries_;  // row r's entries start at r·width: room for every entry of the row
  std::vector<int> sizes_;
  int width_ = 0;
};

}  // namespace scratchnet
