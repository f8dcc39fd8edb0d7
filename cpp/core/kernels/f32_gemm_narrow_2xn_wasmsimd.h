// The narrow microkernel (N ≤ 12 columns: the output layer's classes): two rows of C at a time, dense over K.
// Included by kernels_wasmsimd.cpp alone: its unnamed namespace keeps the code's internal linkage there, so the
// inliner sees it as when it was written in that file.
#pragma once
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace scratchnet {
namespace {

// Narrow products (N ≤ 12: the output layer's 10 classes). A row of C is then only a few vectors, too
// short for the column blocks above, and a sparse gather of A would cost more than the products it saves:
// these kernels run dense over K, two rows at a time (each B or D row loaded once serves both), summing
// each element in index order from its start, as the sparse kernels do (a zero term changes no sum).
constexpr int kNarrowMaxN = 12;

// Hands a narrow row's n = 4V + R finished elements to the epilogue: V whole vectors, then R (0..3) one by one.
template <class Epilogue>
__attribute__((always_inline)) inline void finish_row(const v128_t* sums, int n, int row, Epilogue& out) {
  const int vectors = n / 4, rest = n % 4;
  for (int v = 0; v < vectors; ++v) out.vector(row, 4 * v, sums[v]);
  if (rest > 0) {
    alignas(16) float lanes[4];
    wasm_v128_store(lanes, sums[vectors]);
    for (int r = 0; r < rest; ++r) out.scalar(row, 4 * vectors + r, lanes[r]);
  }
}

// finish_row for a long epilogue (Adam's): one copy of it out of line serves every narrow shape, where inlined
// into each it would add a tenth to the module.
template <class Epilogue>
__attribute__((noinline)) void finish_row_out_of_line(const v128_t* sums, int n, int row, Epilogue& out) {
  finish_row(sums, n, row, out);
}

// A narrow B[rows×n] read as whole vectors, T = ceil(n / 4) a row: a row is read in place where its 4T floats
// lie within B, the lanes past n then holding the next row's first floats, which sum into lanes that are never
// stored; the last rows (up to 3) and the start (a bias, or none) come from zero-padded copies. So one kernel per
// T serves every n (a kernel per n cost a tenth of the module), and each stored element sums exactly as before.
struct NarrowB {
  static constexpr int kMaxCopied = 4;
  const float* B;
  int rows, n, vectors, in_place;  // rows [0, in_place) are read in place
  alignas(16) float copied[kMaxCopied][kNarrowMaxN];
  alignas(16) float start[kNarrowMaxN];

  NarrowB(const float* B_, int rows_, int n_, const float* bias) : B(B_), rows(rows_), n(n_), vectors((n_ + 3) / 4) {
    const long floats = static_cast<long>(rows) * n, width = 4 * vectors;
    in_place = floats >= width ? static_cast<int>(std::min<long>(rows, (floats - width) / n + 1)) : 0;
    in_place = std::max(in_place, rows - kMaxCopied);  // a no-op: as 4T ≤ n + 3, at most 3 rows reach past B's end
    for (int r = in_place; r < rows; ++r)
      for (int c = 0; c < kNarrowMaxN; ++c) copied[r - in_place][c] = c < n ? B[static_cast<size_t>(r) * n + c] : 0.f;
    for (int c = 0; c < kNarrowMaxN; ++c) start[c] = bias && c < n ? bias[c] : 0.f;
  }
};

// Rows [row, row + Rows) of a narrow product of T vectors a row: row r's result is start + Σ_i a(r, i)·B[i] over
// B's rows, where a(r, i) = A[r·row_stride + i·inner_stride]; its first n elements go to the epilogue.
template <int Rows, int T, class Epilogue>
void narrow_block(int row, const float* A, size_t row_stride, size_t inner_stride, const NarrowB& B,
                  const v128_t* start, Epilogue& out) {
  v128_t sum[Rows][T], b[T];
  for (int r = 0; r < Rows; ++r)
    for (int t = 0; t < T; ++t) sum[r][t] = start[t];
  const float* a = A + row * row_stride;
  const auto add_row = [&](const float* b_row) __attribute__((always_inline)) {
    for (int t = 0; t < T; ++t) b[t] = wasm_v128_load(b_row + 4 * t);
    for (int r = 0; r < Rows; ++r) {
      const v128_t x = wasm_f32x4_splat(a[r * row_stride]);
      for (int t = 0; t < T; ++t) sum[r][t] = wasm_f32x4_add(sum[r][t], wasm_f32x4_mul(x, b[t]));
    }
    a += inner_stride;
  };
  // The rows read in place, then the copied ones: choosing between the two for each row cost a dozen scalar
  // instructions a row of B, as many as its multiplies and adds.
  const float* b_row = B.B;
  for (int i = 0; i < B.in_place; ++i, b_row += B.n) add_row(b_row);
  for (int i = B.in_place; i < B.rows; ++i) add_row(B.copied[i - B.in_place]);
  for (int r = 0; r < Rows; ++r) {
    if constexpr (Epilogue::kLongCode)
      finish_row_out_of_line(sum[r], B.n, row + r, out);
    else
      finish_row(sum[r], B.n, row + r, out);
  }
}

// Rows [begin, end) of a narrow product (narrow_block), two at a time: each row of B loaded serves both.
// The gemm C = A·B + bias takes a(r, i) = A[r][i]; the fused step takes W's row k's gradient as
// Σ_m X[m][k]·D[m], i.e. a(k, m) = X[m][k], B = D and no start.
template <int T, class Epilogue>
void narrow_rows(int begin, int end, const float* A, size_t row_stride, size_t inner_stride, const NarrowB& B,
                 Epilogue& out) {
  v128_t first[T];
  for (int t = 0; t < T; ++t) first[t] = wasm_v128_load(B.start + 4 * t);
  int row = begin;
  for (; row + 2 <= end; row += 2) narrow_block<2, T>(row, A, row_stride, inner_stride, B, first, out);
  if (row < end) narrow_block<1, T>(row, A, row_stride, inner_stride, B, first, out);
}

// Calls body(T) with T, the vectors of a padded narrow row (1..3), as a std::integral_constant.
template <class Body>
void with_narrow_vectors(int vectors, Body&& body) {
  if (vectors == 1) body(std::integral_constant<int, 1>{});
  else if (vectors == 2) body(std::integral_constant<int, 2>{});
  else body(std::integral_constant<int, 3>{});
}

}  // namespace
}  // namespace scratchnet

#endif  // __wasm_simd128__
