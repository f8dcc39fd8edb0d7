// The loops around the gemm microkernels, shared by the scalar and the wasm SIMD kernels: panels of A's
// rows gathered as sparse rows, then column blocks of C, each computed by a row-block microkernel and handed
// to an epilogue (store it, or apply it as a gradient).
#pragma once
#include <cstddef>

#include "sparse_rows.h"

namespace scratchnet {

// Columns [col, col + width) of C's row `row`, over that row's non-zeros; `start` holds the initial values
// (the bias, or null for zeros), indexed by column.
template <class Epilogue>
using RowBlockFn = void (*)(const Nonzero* nz, int count, const float* B, size_t N, const float* start, int row, int col,
                            Epilogue& out);

// Which loop runs outermost over a panel: column blocks suit a gemm whose B is reused by every row (a panel's
// slice of B stays in cache); rows suit the fused step, whose W and V are then swept in address order.
enum class Sweep { kColumnsOuter, kRowsOuter };

// C = A·B (+ bias), a panel of A's rows at a time, in blocks of `width` columns (`block`) and one block for
// the rest (`tail`). With `a_transposed`, A[M×K] is given as its transpose, a K×M matrix.
template <class Epilogue>
void gemm_panels(int M, int K, int N, const float* A, bool a_transposed, const float* B, const float* bias,
                 Epilogue& out, Sweep sweep, int width, RowBlockFn<Epilogue> block, RowBlockFn<Epilogue> tail) {
  thread_local SparseRowPanel panel;
  const int whole = N - N % width;
  for (int first = 0; first < M; first += kGemmPanelRows) {
    const int rows = M - first < kGemmPanelRows ? M - first : kGemmPanelRows;
    if (a_transposed)
      panel.gather_transposed(A, K, M, first, rows);
    else
      panel.gather(A, K, first, rows);
    auto run = [&](int r, int col, RowBlockFn<Epilogue> kernel) {
      kernel(panel.row(r), panel.row_size(r), B, N, bias, first + r, col, out);
    };
    if (sweep == Sweep::kColumnsOuter) {
      for (int col = 0; col < whole; col += width)
        for (int r = 0; r < rows; ++r) run(r, col, block);
      if (whole < N)
        for (int r = 0; r < rows; ++r) run(r, whole, tail);
    } else {
      for (int r = 0; r < rows; ++r) {
        for (int col = 0; col < whole; col += width) run(r, col, block);
        if (whole < N) run(r, whole, tail);
      }
    }
  }
}

}  // namespace scratchnet
