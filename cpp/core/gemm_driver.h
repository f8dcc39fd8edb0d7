// The loops around the gemm microkernels, shared by the scalar and the wasm SIMD kernels: panels of A's
// rows gathered as sparse rows, then column blocks of C, each computed by a row-block microkernel and handed
// to an epilogue (store it, or apply it as a gradient). The epilogues' scalar parts live here too; the SIMD
// kernels extend them with 4-wide versions.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <optional>
#include <vector>

#include "kernels.h"
#include "parallel.h"
#include "sparse_rows.h"

namespace scratchnet {

// Stores a finished element of C = A·B. With `relu`, stores max(sum, 0) (as sum > 0 ? sum : 0); with `mask`,
// stores sum where mask > 0, else 0 (a gradient through the ReLU whose output is mask).
struct StoreC {
  // An epilogue whose code is long asks for few copies of it: one tail kernel, no narrow shapes (kernels_wasmsimd).
  static constexpr bool kLongCode = false;
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
  void absorb(const StoreC&) {}
};

// The fused steps' bookkeeping of a row that may defer (kernels.h: DeferredSteps): true, counting it, if the row's
// step waits; else false, with *owed the steps it owes and takes now. Touches only this row's count: threads may
// plan other rows.
inline bool row_waits(const DeferredSteps* deferred, int row, int nonzeros, uint32_t* owed) {
  *owed = 0;
  if (!deferred) return false;
  uint32_t& pending = deferred->pending[row];
  if (nonzeros == 0 && deferred->needed && !deferred->needed[row]) {
    ++pending;
    return true;
  }
  *owed = pending;
  pending = 0;
  return false;
}

// Applies a finished gradient element g of the fused SGD step: v = momentum·v + g;  w -= lr·v, after any
// steps the row deferred (kernels.h: DeferredSteps). `check` adds up w − w of the new weights: 0 while every w is
// finite, NaN from the first that is not, whatever order the parts run and merge in. absorb() merges the checks of
// parts run on other threads.
struct MomentumStep {
  static constexpr bool kLongCode = false;
  // A row's step: v ← decay·v + g,  w ← w − catch_up·v_before − lr·v (deferred_step_coefficients).
  struct RowStep {
    float decay, catch_up;
  };
  float* W;
  float* V;
  size_t N;
  float lr, momentum;
  const DeferredSteps* deferred;
  float weight_decay;  // L2: the gradient is g + weight_decay·w (the caller defers no step then)
  float check = 0.f;
  float decay, catch_up;  // the current row's
  MomentumStep(float* w, float* v, size_t n, float rate, float mu, const DeferredSteps* deferrals = nullptr,
               float decay_rate = 0.f)
      : W(w), V(v), N(n), lr(rate), momentum(mu), deferred(deferrals), weight_decay(decay_rate), decay(mu),
        catch_up(0.f) {}
  // Plans a row's step, given how many non-zero inputs its gradient sums: false if the step waits, else the
  // row's coefficients in *step. Touches only this row's count of deferred steps: threads may plan other rows.
  bool plan_row(int row, int nonzeros, RowStep* step) const {
    *step = RowStep{momentum, 0.f};
    uint32_t owed;
    if (row_waits(deferred, row, nonzeros, &owed)) return false;
    if (!deferred) return true;
    if (deferred->decay_by_pending) {
      step->decay = deferred->decay_by_pending[owed];
      step->catch_up = deferred->catch_up_by_pending[owed];
    } else {
      deferred_step_coefficients(owed, lr, momentum, &step->decay, &step->catch_up);
    }
    return true;
  }
  // The planned row whose elements come next.
  void use_row(const RowStep& step) {
    decay = step.decay;
    catch_up = step.catch_up;
  }
  void scalar(int row, int col, float gradient) {
    float& v = V[row * N + col];
    float& w = W[row * N + col];
    const float before = v;
    if (weight_decay != 0.f) gradient += weight_decay * w;
    v = decay * before + gradient;
    if (catch_up != 0.f) w -= catch_up * before;
    w -= lr * v;
    check += w - w;
  }
  bool finite() const { return check == 0.f; }
  void absorb(const MomentumStep& part) { check += part.check; }
};

// Applies a finished gradient element g of the fused Adam / AdamW step (kernels.h: AdamRule), with the bias
// corrections folded into a step size and an epsilon once per call, after any steps the row deferred (kernels.h:
// Adam's deferred steps). `check` as in MomentumStep.
struct AdamStep {
  static constexpr bool kLongCode = true;  // a square root and a division a weight
  // A row's step: its owed steps (when `owes`) w ← owed_shrink·w − owed_step·m/(√v + ε), then
  // m ← first_decay·m + (1−β1)·g,  v ← second_decay·v + (1−β2)·g²  from the moments before them.
  struct RowStep {
    float first_decay, second_decay, owed_shrink, owed_step;
    bool owes;
  };
  float* W;
  float* M1;  // first moments
  float* M2;  // second moments
  size_t N;
  float beta1, beta2, one_minus_beta1, one_minus_beta2;
  float step_size, epsilon, shrink, l2;  // AdamConstants
  const DeferredSteps* deferred;
  float check = 0.f;
  RowStep row_step;  // the current row's
  AdamStep(float* w, float* m1, float* m2, size_t n, const AdamRule& rule, const DeferredSteps* deferrals = nullptr)
      : W(w), M1(m1), M2(m2), N(n), beta1(rule.beta1), beta2(rule.beta2), one_minus_beta1(1.f - rule.beta1),
        one_minus_beta2(1.f - rule.beta2), deferred(deferrals), row_step(plain_step()) {
    const AdamConstants constants = adam_constants(rule);
    step_size = constants.step_size;
    epsilon = constants.epsilon;
    shrink = constants.shrink;
    l2 = constants.l2;
  }
  RowStep plain_step() const { return RowStep{beta1, beta2, 1.f, 0.f, false}; }
  // As MomentumStep::plan_row.
  bool plan_row(int row, int nonzeros, RowStep* step) const {
    *step = plain_step();
    uint32_t owed;
    if (row_waits(deferred, row, nonzeros, &owed)) return false;
    if (owed != 0)
      *step = RowStep{deferred->first_moment_decay_by_pending[owed], deferred->second_moment_decay_by_pending[owed],
                      deferred->decay_by_pending[owed], deferred->catch_up_by_pending[owed], true};
    return true;
  }
  void use_row(const RowStep& step) { row_step = step; }
  void scalar(int row, int col, float gradient) {
    const size_t at = row * N + col;
    float& w = W[at];
    const float m_before = M1[at], v_before = M2[at];
    if (row_step.owes) w = row_step.owed_shrink * w - row_step.owed_step * m_before / (std::sqrt(v_before) + epsilon);
    if (l2 != 0.f) gradient += l2 * w;
    const float m = row_step.first_decay * m_before + one_minus_beta1 * gradient;
    const float v = row_step.second_decay * v_before + one_minus_beta2 * (gradient * gradient);
    M1[at] = m;
    M2[at] = v;
    w = w * shrink - step_size * m / (std::sqrt(v) + epsilon);
    check += w - w;
  }
  bool finite() const { return check == 0.f; }
  void absorb(const AdamStep& part) { check += part.check; }
};

// Columns [col, col + width) of C's row `row`, over that row's non-zeros; `start` holds the initial values
// (the bias, or null for zeros), indexed by column.
template <class Epilogue>
using RowBlockFn = void (*)(const Nonzero* nz, int count, const float* B, const float* start, int row, int col,
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
  std::array<std::optional<Epilogue>, kMaxThreadCount> parts;
  run_parts([&](int part, int count) {
    int begin, end;
    part_range(rows, part, count, &begin, &end);
    Epilogue local = out;  // on this thread's stack: neighbours in parts[] share a cache line
    run(begin, end, local);
    parts[part] = local;
  });
  for (int part = 0; part < thread_count(); ++part) out.absorb(*parts[part]);
}

// C = A·B (+ bias), a panel of A's rows at a time, in blocks of `width` columns (`block`) and one block for
// the rest (`tail`). Column blocks run outermost over a panel: the panel's rows reuse each block's slice of B
// while it is in cache.
template <class Epilogue>
void gemm_panels(int M, int K, int N, const float* A, const float* B, const float* bias, Epilogue& out, int width,
                 RowBlockFn<Epilogue> block, RowBlockFn<Epilogue> tail) {
  const int whole = N - N % width;
  split_rows(M, out, [&](int row_begin, int row_end, Epilogue& into) {
    thread_local SparseRowPanel panel;
    for (int first = row_begin; first < row_end; first += kGemmPanelRows) {
      const int rows = row_end - first < kGemmPanelRows ? row_end - first : kGemmPanelRows;
      panel.gather(A, K, N, first, rows);
      for (int col = 0; col < whole; col += width)
        for (int r = 0; r < rows; ++r) block(panel.row(r), panel.row_size(r), B, bias, first + r, col, into);
      if (whole < N)
        for (int r = 0; r < rows; ++r) tail(panel.row(r), panel.row_size(r), B, bias, first + r, whole, into);
    }
  });
}

// A row of W planned for a fused step: whether it steps now, and with what coefficients (MomentumStep::plan_row).
template <class Step>
struct PlannedRow {
  bool steps;  // false: its step waits
  typename Step::RowStep step;
};

// Panel rows [begin, end) gathered from the rows first + begin, … of Xᵀ (X[M×K], for a product with D[M×N]),
// and their steps planned into plans[begin, end). Threads may gather and plan disjoint rows of one panel.
template <class Step>
void gather_and_plan_rows(const Step& out, const float* X, int M, int K, int N, int first, int begin, int end,
                          SparseRowPanel& panel, std::vector<PlannedRow<Step>>& plans) {
  panel.gather_transposed_rows(X, M, K, N, first, begin, end);
  for (int r = begin; r < end; ++r) plans[r].steps = out.plan_row(first + r, panel.row_size(r), &plans[r].step);
}

// Rows of W planned at once by the fused step below: its gathered panel stays within 512 KB.
constexpr size_t kStepPanelEntries = size_t{1} << 16;
// Rows of W a thread takes at a time in the fused step below.
constexpr int kStepRowsPerClaim = 16;

// The fused step on W[K×N] (MomentumStep) of the gradient G = Xᵀ·D, for X[M×K] and D[M×N], a slab of W's rows
// at a time, in two phases: each thread gathers the non-zero inputs of a share of the rows and plans their
// steps (whether each waits, and its coefficients); then the threads step the planned rows, taking the next
// kStepRowsPerClaim rows whenever they are free: rows differ in work (their non-zeros, whether they wait) and the
// two threads in speed from call to call, so a fixed share each left one waiting (performance.md). Every element
// sums as it would on one thread, whichever thread steps its row.
template <class Step>
void momentum_step_panels(int K, int M, int N, const float* X, const float* D, Step& out, int width,
                          RowBlockFn<Step> block, RowBlockFn<Step> tail) {
  thread_local SparseRowPanel gathered;
  thread_local std::vector<PlannedRow<Step>> planned;  // per row of the slab
  // The caller's buffers, by name-free reference: inside the lambdas below, the names would be each
  // worker's own (empty) thread_locals instead.
  SparseRowPanel& panel = gathered;
  auto& plans = planned;
  const size_t entries_per_row = M > 0 ? static_cast<size_t>(M) : 1;
  const int slab = static_cast<int>(std::min<size_t>(K, std::max<size_t>(1, kStepPanelEntries / entries_per_row)));
  const int whole = N - N % width;
  const Step blank = out;  // the parts' epilogues start from this, their checks empty
  for (int first = 0; first < K; first += slab) {
    const int rows = std::min(slab, K - first);
    panel.reserve(rows, M);
    plans.resize(rows);
    run_parts([&](int part, int parts) {
      int begin, end;
      part_range(rows, part, parts, &begin, &end);
      gather_and_plan_rows(out, X, M, K, N, first, begin, end, panel, plans);
    });
    auto step_rows = [&](int begin, int end, Step& into) {
      for (int r = begin; r < end; ++r) {
        if (!plans[r].steps) continue;
        into.use_row(plans[r].step);
        const Nonzero* nz = panel.row(r);
        const int count = panel.row_size(r);
        for (int col = 0; col < whole; col += width) block(nz, count, D, nullptr, first + r, col, into);
        if (whole < N) tail(nz, count, D, nullptr, first + r, whole, into);
      }
    };
    if (thread_count() == 1 || rows < kMinRowsPerThread * 2) {
      step_rows(0, rows, out);
      continue;
    }
    std::atomic<int> next_row{0};
    std::array<std::optional<Step>, kMaxThreadCount> parts_out;
    run_parts([&](int part, int) {
      Step local = blank;  // on this thread's stack: neighbours in parts_out[] share a cache line
      for (int begin; (begin = next_row.fetch_add(kStepRowsPerClaim, std::memory_order_relaxed)) < rows;)
        step_rows(begin, std::min(rows, begin + kStepRowsPerClaim), local);
      parts_out[part] = local;
    });
    for (int part = 0; part < thread_count(); ++part) out.absorb(*parts_out[part]);
  }
}

}  // namespace scratchnet
