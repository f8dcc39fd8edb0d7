// The loops around the gemm microkernels, shared by the scalar and the wasm SIMD kernels: panels of A's
// rows gathered as sparse rows, then column blocks of C, each computed by a row-block microkernel and handed
// to an epilogue (store it, or apply it as a gradient). The epilogues' scalar parts live here too; the SIMD
// kernels extend them with 4-wide versions.
#pragma once
#include <cstddef>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "sparse_rows.h"

namespace scratchnet {

// Stores a finished element of C = A·B. With `relu`, stores max(sum, 0) (as sum > 0 ? sum : 0); with `mask`,
// stores sum where mask > 0, else 0 (a gradient through the ReLU whose output is mask).
struct StoreC {
  float* C;
  size_t N;
  bool relu = false;
  const float* mask = nullptr;
  void scalar(int row, int col, float sum) {
    const size_t at = row * N + col;
    if (relu) sum = sum > 0.f ? sum : 0.f;
    if (mask) sum = mask[at] > 0.f ? sum : 0.f;
    C[at] = sum;
  }
  bool begin_row(int, int) { return true; }
  void absorb(const StoreC&) {}
};

// Applies a finished gradient element g of the fused SGD step: v = momentum·v + g;  w -= lr·v, after any
// steps the row deferred (kernels.h: DeferredSteps). `check` sums the new weights: it is finite while every
// w is (an infinite or NaN one makes it NaN or infinite; finite weights would have to average above 1e32 to
// overflow it, a run long diverged), at one add a weight. absorb() merges the checks of parts run on other threads.
struct MomentumStep {
  float* W;
  float* V;
  size_t N;
  float lr, momentum;
  const DeferredSteps* deferred;
  float check = 0.f;
  float decay, catch_up;  // this row's (deferred_step_coefficients)
  MomentumStep(float* w, float* v, size_t n, float rate, float mu, const DeferredSteps* deferrals = nullptr)
      : W(w), V(v), N(n), lr(rate), momentum(mu), deferred(deferrals), decay(mu), catch_up(0.f) {}
  // Before a row's blocks, given how many non-zero inputs its gradient sums: false if the row's step waits.
  bool begin_row(int row, int nonzeros) {
    if (!deferred) return true;
    uint32_t& pending = deferred->pending[row];
    if (nonzeros == 0 && deferred->needed && !deferred->needed[row]) {
      ++pending;
      return false;
    }
    deferred_step_coefficients(pending, lr, momentum, &decay, &catch_up);
    pending = 0;
    return true;
  }
  void scalar(int row, int col, float gradient) {
    float& v = V[row * N + col];
    float& w = W[row * N + col];
    const float before = v;
    v = decay * before + gradient;
    if (catch_up != 0.f) w -= catch_up * before;
    w -= lr * v;
    check += w;
  }
  bool finite() const { return check - check == 0.f; }
  void absorb(const MomentumStep& part) { check += part.check; }
};

// Columns [col, col + width) of C's row `row`, over that row's non-zeros; `start` holds the initial values
// (the bias, or null for zeros), indexed by column.
template <class Epilogue>
using RowBlockFn = void (*)(const Nonzero* nz, int count, const float* B, size_t N, const float* start, int row, int col,
                            Epilogue& out);

// Fewer rows than this per thread are not worth waking a thread for.
constexpr int kMinRowsPerThread = 8;

// Runs rows [0, rows) of an output as run(begin, end, epilogue): threads write disjoint rows, so each takes
// a contiguous run of them, with its own copy of the epilogue (whose running checks are merged after).
template <class Epilogue, class Run>
void split_rows(int rows, Epilogue& out, Run&& run) {
  if (thread_count() == 1 || rows < kMinRowsPerThread * 2) {
    run(0, rows, out);
    return;
  }
  std::vector<Epilogue> parts(thread_count(), out);
  run_parts([&](int part, int count) {
    int begin, end;
    part_range(rows, part, count, &begin, &end);
    Epilogue local = out;  // on this thread's stack: neighbours in parts[] share a cache line
    run(begin, end, local);
    parts[part] = local;
  });
  for (const Epilogue& part : parts) out.absorb(part);
}

// Which loop runs outermost over a panel: column blocks suit a gemm whose B is reused by every row (a panel's
// slice of B stays in cache); rows suit the fused step, whose W and V are then swept in address order.
enum class Sweep { kColumnsOuter, kRowsOuter };

// C = A·B (+ bias), a panel of A's rows at a time, in blocks of `width` columns (`block`) and one block for
// the rest (`tail`). With `a_transposed`, A[M×K] is given as its transpose, a K×M matrix.
template <class Epilogue>
void gemm_panels(int M, int K, int N, const float* A, bool a_transposed, const float* B, const float* bias,
                 Epilogue& out, Sweep sweep, int width, RowBlockFn<Epilogue> block, RowBlockFn<Epilogue> tail) {
  const int whole = N - N % width;
  // Rows [row_begin, row_end) of C, a panel at a time, each finished block to `into`.
  auto run_rows = [&](int row_begin, int row_end, Epilogue& into) {
    thread_local SparseRowPanel panel;
    for (int first = row_begin; first < row_end; first += kGemmPanelRows) {
      const int rows = row_end - first < kGemmPanelRows ? row_end - first : kGemmPanelRows;
      if (a_transposed)
        panel.gather_transposed(A, K, M, first, rows);
      else
        panel.gather(A, K, first, rows);
      auto run = [&](int r, int col, RowBlockFn<Epilogue> kernel) {
        kernel(panel.row(r), panel.row_size(r), B, N, bias, first + r, col, into);
      };
      if (sweep == Sweep::kColumnsOuter) {
        for (int col = 0; col < whole; col += width)
          for (int r = 0; r < rows; ++r) run(r, col, block);
        if (whole < N)
          for (int r = 0; r < rows; ++r) run(r, whole, tail);
      } else {
        for (int r = 0; r < rows; ++r) {
          if (!into.begin_row(first + r, panel.row_size(r))) continue;
          for (int col = 0; col < whole; col += width) run(r, col, block);
          if (whole < N) run(r, whole, tail);
        }
      }
    }
  };
  split_rows(M, out, run_rows);
}

}  // namespace scratchnet
