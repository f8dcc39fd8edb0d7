// The fast kernels with 128-bit wasm SIMD: 4 floats a vector, multiply then add (wasm has no
// FMA without relaxed SIMD, which Emscripten 3.1.6 cannot emit in a form browsers accept).
// This file holds the drivers (chunks of B, the fused step and forward, the split across threads) and the
// dispatch (sparse, dense or narrow); the microkernels and epilogues they run are in kernels/.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels.h"
#include "gemm_driver.h"
#include "kernels/epilogues_wasmsimd.h"
#include "kernels/f32_gemm_narrow_2xn_wasmsimd.h"
#include "kernels/f32_gemm_sparse_1x28_wasmsimd.h"
#include "kernels/f32_gemm_tile_wasmsimd.h"
#include "parallel.h"
#include "sparse_rows.h"

namespace scratchnet {

namespace {

// The sparse microkernel of a whole block (f32_gemm_sparse_1x28_wasmsimd.h).
template <class Epilogue>
constexpr RowBlockFn<Epilogue> kBlock = &row_block<kSparseBlockColumns / 4, 0, Epilogue>;

// C = A·B (+ bias) through the shared driver, with this file's microkernels: blocks of 28 columns.
template <class Epilogue>
void gemm_panels(int M, int K, int N, const float* A, const float* B, const float* bias, Epilogue& out) {
  scratchnet::gemm_panels(M, K, N, A, B, bias, out, kSparseBlockColumns, kBlock<Epilogue>, tail_block<Epilogue>());
}

// Rows of B per chunk in the gemm below (64 rows of 2,048 floats: 512 KB, which stays in L2 while every row of
// the panel uses it): the fastest of the sizes tried on MNIST's first layer (performance.md).
constexpr int kRowsOfBPerChunk = 64;

// Where part `part` of `parts` starts when rows [0, rows) are split by their work, given work_through[r], the
// work of rows 0..r: at the first row whose work through it passes the part's share of the total.
inline int first_row_by_work(const std::vector<long>& work_through, int rows, int part, int parts) {
  if (part == 0 || rows == 0) return 0;
  if (part >= parts) return rows;
  const long share = work_through[rows - 1] * part / parts;
  return static_cast<int>(std::upper_bound(work_through.begin(), work_through.begin() + rows, share) - work_through.begin());
}

// A row's pass over C beyond its non-zeros, in non-zeros' worth: its partial sums loaded and stored in each of
// the ten or so chunks it has ink in, each about as much work as a non-zero.
constexpr long kRowPassCost = 10;

// Columns [begin, end) of C's row `row` from `count` non-zeros, in whole blocks.
template <class Epilogue>
__attribute__((always_inline)) inline void sweep_blocks(const Nonzero* nz, int count, const float* B,
                                                        const float* start, int row, int begin, int end, Epilogue& out) {
  for (int col = begin; col < end; col += kSparseBlockColumns)
    row_block<kSparseBlockColumns / 4, 0>(nz, count, B, start, row, col, out);
}

// The ragged end of N (the kernel out of line) into `out`, an epilogue of its own: the blocks' epilogue, whose
// address no call takes, keeps its members in registers, where one a call sees must live in memory, reloaded after
// every store of the kernel (its checksum a load and a store a vector).
template <class Epilogue>
__attribute__((always_inline)) inline void sweep_tail(const Nonzero* nz, int count, const float* B, const float* start,
                                                      int row, int N, Epilogue& out) {
  tail_block<Epilogue>()(nz, count, B, start, row, N - N % kSparseBlockColumns, out);
}

// Where each row of a panel stands in C = A·B (+ bias) taken a chunk of B's rows at a time (add_chunk below).
// The fused step and forward takes a next batch of one panel and the row of its input background (input_background.h).
constexpr int kChunkedRows = kGemmPanelRows + 1;

struct ChunkProgress {
  int ends[kChunkedRows];      // per panel row: where its next chunk's non-zeros start
  bool started[kChunkedRows];  // per panel row: C holds its partial sums
  // Panel rows [row_begin, row_end), none started, each at its first non-zero at or past B's row `b_row`. (Out of
  // line: one copy for its callers, where it is no part of the time.)
  __attribute__((noinline)) void reset(const SparseRowPanel& panel, int row_begin, int row_end, int b_row, int N) {
    const int offset = b_row * N;
    for (int r = row_begin; r < row_end; ++r) {
      const Nonzero* nz = panel.row(r);
      int at = 0;
      while (at < panel.row_size(r) && nz[at].offset < offset) ++at;
      ends[r] = at, started[r] = false;
    }
  }
};

// Adds B's rows [chunk, chunk_end) into C's rows first + r, for the panel's rows [row_begin, row_end), every column,
// in a run of B's rows that ends at `run_end`. Partial sums
// wait in C between chunks (stored by `partial`), and the run's last chunk stores its sums (by `final_out`); as each
// chunk resumes from the float it left, the result is the same to the bit as without chunks. The epilogues are the
// caller's locals: as members of a shared object, one-thread training ran slower.
__attribute__((always_inline)) inline void add_chunk(const SparseRowPanel& panel, int first, int row_begin,
                                                     int row_end, int run_end, int N, const float* B,
                                                     const float* bias, int chunk, int chunk_end,
                                                     ChunkProgress& progress, StoreCSimd& final_out,
                                                     StorePartialSums& partial) {
  const int whole = N - N % kSparseBlockColumns;
  const bool last = chunk_end == run_end;
  const int chunk_end_offset = chunk_end * N;  // the offset of the next chunk's first row
  for (int r = row_begin; r < row_end; ++r) {
    // This row's non-zeros are in order: the chunk's are the next run below the next chunk's offset.
    const Nonzero* nz = panel.row(r);
    const int begin = progress.ends[r];
    int& end = progress.ends[r];
    while (end < panel.row_size(r) && nz[end].offset < chunk_end_offset) ++end;
    // A chunk without non-zeros changes no sum: only the last one must still store the row. (An MNIST digit's
    // top and bottom rows are blank.)
    if (begin == end && !last) continue;
    // The first chunk with non-zeros starts from the bias, the others from what the previous left in C.
    const int row = first + r;
    const float* start = progress.started[r] ? final_out.C + static_cast<size_t>(row) * N : bias;
    progress.started[r] = true;
    // (These epilogues keep no sums of their own: the tail may share them.)
    if (last) {
      sweep_blocks(nz + begin, end - begin, B, start, row, 0, whole, final_out);
      if (whole < N) sweep_tail(nz + begin, end - begin, B, start, row, N, final_out);
    } else {
      sweep_blocks(nz + begin, end - begin, B, start, row, 0, whole, partial);
      if (whole < N) sweep_tail(nz + begin, end - begin, B, start, row, N, partial);
    }
  }
}

// C = A·B (+ bias) with B taken a chunk of rows at a time (add_chunk): each row of the panel sweeps, column block
// by column block, the few rows of the chunk its non-zeros select (whole rows of B, read in address order), and the
// chunk serves every row of the panel while it is in cache.
void gemm_chunked(int M, int K, int N, const float* A, const float* B, const float* bias, StoreCSimd final_out) {
  thread_local SparseRowPanel gathered;
  // The calling thread's panel, by name-free reference: inside the lambda below, `gathered` would name each
  // worker's own (empty) thread_local instead.
  SparseRowPanel& panel = gathered;
  thread_local std::vector<long> work;  // per row of the panel: the work of the rows up to it
  std::vector<long>& work_through = work;
  for (int first = 0; first < M; first += kGemmPanelRows) {
    const int rows = M - first < kGemmPanelRows ? M - first : kGemmPanelRows;
    panel.reserve(rows, K);
    // Rows are independent: the threads gather a share of them each, then take a run of rows whose work (their
    // non-zeros, and a pass over C's row) is their share through every chunk: split by count, the slower thread
    // waited longer.
    const bool threaded = thread_count() > 1;
    if (threaded) {
      run_parts([&](int part, int parts) {
        int begin, end;
        part_range(rows, part, parts, &begin, &end);
        panel.gather_rows(A, K, N, first, begin, end);
      });
      work_through.resize(rows);
      long total = 0;
      for (int r = 0; r < rows; ++r) work_through[r] = total += panel.row_size(r) + kRowPassCost;
    } else {
      panel.gather_rows(A, K, N, first, 0, rows);
    }
    run_parts([&](int part, int parts) {
      const int row_begin = threaded ? first_row_by_work(work_through, rows, part, parts) : 0;
      const int row_end = threaded ? first_row_by_work(work_through, rows, part + 1, parts) : rows;
      ChunkProgress progress;
      progress.reset(panel, row_begin, row_end, 0, N);
      StoreCSimd out = final_out;
      StorePartialSums partial{final_out.C, static_cast<size_t>(N)};
      for (int chunk = 0; chunk < K; chunk += kRowsOfBPerChunk)
        add_chunk(panel, first, row_begin, row_end, K, N, B, bias, chunk, std::min(K, chunk + kRowsOfBPerChunk),
                  progress, out, partial);
    });
  }
}

// Chunks pay only where B does not fit in cache anyway (MNIST's first layer: 6.4 MB); a smaller B (the output
// layer's 80 KB) is read faster whole.
constexpr size_t kChunkedAboveBytes = 1 << 20;
// A narrow product runs dense when K is at least this (below it, the sparse kernels' per-row cost is small).
constexpr int kNarrowMinK = 16;

void gemm(int M, int K, int N, const float* A, const float* B, const float* bias, StoreCSimd out) {
  if (N <= kNarrowMaxN && K >= kNarrowMinK) {
    const NarrowB narrow(B, K, N, bias);
    with_narrow_vectors(narrow.vectors, [&](auto vectors) {
      split_rows(M, out, [&](int begin, int end, StoreCSimd& part) {
        narrow_rows<decltype(vectors)::value>(begin, end, A, K, 1, narrow, part);
      });
    });
    return;
  }
  if (K > kRowsOfBPerChunk && static_cast<size_t>(K) * N * sizeof(float) > kChunkedAboveBytes)
    gemm_chunked(M, K, N, A, B, bias, out);
  else
    gemm_panels(M, K, N, A, B, bias, out);
}

// A's share of non-zero entries from which the dense tiles beat skipping the zeros: the forward of the default
// network's first layer at batch 64 crossed over between 65% and 80% lit on the Xeon (performance.md).
constexpr double kDenseFromShare = 0.7;
// Whether `lit` non-zero entries of `count` are past that share.
inline bool dense_share(size_t lit, size_t count) {
  return static_cast<double>(lit) >= kDenseFromShare * static_cast<double>(count);
}

// Whether C = A·B goes through the dense tiles: a wide B (narrow products are dense already) and an A with few zeros.
bool dense_pays(int M, int K, int N, const float* A) {
  if (N <= kNarrowMaxN) return false;
  const size_t count = static_cast<size_t>(M) * K;
  size_t zeros = 0, i = 0;
  v128_t zero_lanes = wasm_i32x4_splat(0);
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (; i + 4 <= count; i += 4) zero_lanes = wasm_i32x4_sub(zero_lanes, wasm_f32x4_eq(wasm_v128_load(A + i), zero));
  zeros = static_cast<size_t>(wasm_i32x4_extract_lane(zero_lanes, 0)) + wasm_i32x4_extract_lane(zero_lanes, 1) +
          wasm_i32x4_extract_lane(zero_lanes, 2) + wasm_i32x4_extract_lane(zero_lanes, 3);
  for (; i < count; ++i) zeros += A[i] == 0.f;
  return dense_share(count - zeros, count);
}

}  // namespace

void f32_gemm_sparse_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  gemm(M, K, N, A, B, bias, StoreCSimd{{C, static_cast<size_t>(N)}});
}

void f32_gemm_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  if (dense_pays(M, K, N, A)) return f32_gemm_dense_wasmsimd(M, K, N, A, B, bias, C, false);
  gemm(M, K, N, A, B, bias, StoreCSimd{{C, static_cast<size_t>(N)}});
}

void f32_gemm_relu_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* bias, float* C) {
  if (dense_pays(M, K, N, A)) return f32_gemm_dense_wasmsimd(M, K, N, A, B, bias, C, true);
  gemm(M, K, N, A, B, bias, StoreCSimd{{C, static_cast<size_t>(N), true}});
}

void f32_gemm_relu_backward_wasmsimd(int M, int K, int N, const float* A, const float* B, const float* relu_output,
                                     float* C) {
  if (dense_pays(M, K, N, A)) return f32_gemm_dense_wasmsimd(M, K, N, A, B, nullptr, C, false, relu_output);
  gemm(M, K, N, A, B, nullptr, StoreCSimd{{C, static_cast<size_t>(N), false, relu_output}});
}

namespace {

// counts[k] += the non-zeros in column k of A[M×K], for k in [begin, end).
void add_column_nonzeros(int M, int K, const float* A, int* counts, int begin = 0, int end = -1) {
  if (end < 0) end = K;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (int m = 0; m < M; ++m) {
    const float* row = A + static_cast<size_t>(m) * K;
    int k = begin;
#pragma clang loop unroll(disable)
    for (; k + 4 <= end; k += 4) {
      const v128_t lit = wasm_f32x4_ne(wasm_v128_load(row + k), zero);  // −1 in each lit lane
      wasm_v128_store(counts + k, wasm_i32x4_sub(wasm_v128_load(counts + k), lit));
    }
#pragma clang loop vectorize(disable) unroll(disable)
    for (; k < end; ++k) counts[k] += row[k] != 0.f;
  }
}

// The dense step's tile: 3 rows of W × 16 columns (12 accumulators). Against 4 × 8, the kernel bench's Adam step on
// all-lit inputs ran 1.10× and the momentum step 1.02×; 2 × 16 and 2 × 12 ran slower (performance.md).
constexpr int kStepTileRows = 3, kStepTileVectors = 4;
constexpr int kStepTileColumns = 4 * kStepTileVectors;

// Rows [k, k + MR) of G = Xᵀ·D over the columns [col, col + 4V) by a dense tile (G's row k is X's column k, so
// the tile's A entry (r, m) is X[m·K + k + r]), each handed to the step as planned.
// Hands V vectors of a row to a long epilogue (Adam's), out of line: one copy serves every tile shape.
template <class Step>
__attribute__((noinline)) void step_vectors_out_of_line(Step& out, int row, int col, const v128_t* sums, int vectors) {
  for (int v = 0; v < vectors; ++v) out.vector(row, col + 4 * v, sums[v]);
}

template <int MR, int V, class Step>
void step_tile(int k, int col, int M, int K, const float* X, const float* packed, const std::vector<PlannedRow<Step>>& plans,
               Step& out) {
  v128_t sums[MR][V];
  f32_gemm_tile_wasmsimd<MR, V>(M, X + k, 1, K, packed, nullptr, sums);
  for (int r = 0; r < MR; ++r) {
    if (!plans[k + r].steps) continue;
    out.use_row(plans[k + r].step);
    if constexpr (Step::kLongCode)
      step_vectors_out_of_line(out, k + r, col, sums[r], V);
    else
      for (int v = 0; v < V; ++v) out.vector(k + r, col + 4 * v, sums[r][v]);
  }
}

// Rows [k, k + MR) of G over every column: D packed block by block (kStepTileColumns, then blocks of 4 and the last
// N % 4 one at a time), so the rows' weights are stepped in address order, as the sparse panels step them.
template <int MR, class Step>
void step_rows(int k, int M, int K, int N, const float* X, const float* D, const float* packed_blocks,
               const float* packed_fours, const std::vector<PlannedRow<Step>>& plans, Step& out) {
  const int blocks = N / kStepTileColumns;
  for (int block = 0; block < blocks; ++block)
    step_tile<MR, kStepTileVectors>(k, kStepTileColumns * block, M, K, X,
                                    packed_blocks + static_cast<size_t>(block) * M * kStepTileColumns, plans, out);
  int col = kStepTileColumns * blocks;
  for (; col + 4 <= N; col += 4)
    step_tile<MR, 1>(k, col, M, K, X, packed_fours + static_cast<size_t>(col - kStepTileColumns * blocks) * M, plans,
                     out);
  for (int r = 0; r < MR && col < N; ++r) {
    if (!plans[k + r].steps) continue;
    out.use_row(plans[k + r].step);
    for (int n = col; n < N; ++n) {
      float sum = 0.f;
      for (int m = 0; m < M; ++m) sum += X[static_cast<size_t>(m) * K + k + r] * D[static_cast<size_t>(m) * N + n];
      out.scalar(k + r, n, sum);
    }
  }
}

// The fused weight step through dense tiles, for an X with few zeros: each row is planned once (a row whose input
// is zero throughout may still wait), D is packed once, then each thread steps a run of rows of W in tiles of
// kStepTileRows, every column. Each element sums over the batch in order, as in the sparse panels: the same bits.
template <class Step>
bool dense_weight_step(int K, int M, int N, const float* X, const float* D, Step& out) {
  thread_local std::vector<PlannedRow<Step>> planned;
  thread_local std::vector<int> nonzeros_of;
  thread_local FloatBuffer packing_blocks, packing_fours;
  // The caller's, by name-free reference (inside the lambda below, each worker would name its own).
  auto& plans = planned;
  auto& nonzeros = nonzeros_of;
  plans.resize(K);
  nonzeros.assign(K, 0);
  add_column_nonzeros(M, K, X, nonzeros.data());
  for (int k = 0; k < K; ++k) plans[k].steps = out.plan_row(k, nonzeros[k], &plans[k].step);
  const int blocks = N / kStepTileColumns, fours = (N % kStepTileColumns) / 4;
  const size_t block_floats = static_cast<size_t>(M) * kStepTileColumns, four_floats = static_cast<size_t>(M) * 4;
  if (packing_blocks.size() < blocks * block_floats) packing_blocks.resize(blocks * block_floats);
  if (packing_fours.size() < fours * four_floats) packing_fours.resize(fours * four_floats);
  for (int block = 0; block < blocks; ++block)
    pack_columns_into<kStepTileVectors>(M, D, N, kStepTileColumns * block, packing_blocks.data() + block * block_floats);
  for (int f = 0; f < fours; ++f)
    pack_columns_into<1>(M, D, N, kStepTileColumns * blocks + 4 * f, packing_fours.data() + f * four_floats);
  const float* packed_blocks = packing_blocks.data();
  const float* packed_fours = packing_fours.data();
  const Step blank = out;  // the parts' epilogues start from this, their checks empty
  std::array<std::optional<Step>, kMaxThreadCount> parts_out;
  run_parts([&](int part, int parts) {
    int begin, end;
    part_range(K, part, parts, &begin, &end);
    Step local = blank;
    int k = begin;
    for (; k + kStepTileRows <= end; k += kStepTileRows)
      step_rows<kStepTileRows>(k, M, K, N, X, D, packed_blocks, packed_fours, plans, local);
    for (; k < end; ++k) step_rows<1>(k, M, K, N, X, D, packed_blocks, packed_fours, plans, local);  // the rest
    parts_out[part] = local;
  });
  for (int part = 0; part < thread_count(); ++part) out.absorb(*parts_out[part]);
  return out.finite();
}

// A fused weight step (MomentumStepSimd or AdamStepSimd) of G = Xᵀ·D: dense and narrow for the output layer,
// through dense tiles for an X with few zeros, else through the sparse panels.
template <class Step>
bool weight_step(int K, int M, int N, const float* X, const float* D, Step& out, bool deferring) {
  if (N > kNarrowMaxN && dense_pays(M, K, N, X)) return dense_weight_step(K, M, N, X, D, out);
  if (N <= kNarrowMaxN && M >= kNarrowMinK && !deferring) {
    const NarrowB narrow(D, M, N, nullptr);
    with_narrow_vectors(narrow.vectors, [&](auto vectors) {
      split_rows(K, out, [&](int begin, int end, Step& part) {
        narrow_rows<decltype(vectors)::value>(begin, end, X, 1, K, narrow, part);
      });
    });
    return out.finite();
  }
  momentum_step_panels(K, M, N, X, D, out, kSparseBlockColumns, kBlock<Step>, tail_block<Step>());
  return out.finite();
}

}  // namespace

bool f32_gemm_momentum_step_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W, float* V, float lr,
                                     float momentum, const DeferredSteps* deferred, float weight_decay) {
  MomentumStepSimd out(W, V, static_cast<size_t>(N), lr, momentum, deferred, weight_decay);
  return weight_step(K, M, N, X, D, out, deferred != nullptr);
}

bool f32_gemm_adam_step_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W, float* M1, float* M2,
                                 const AdamRule& rule, const DeferredSteps* deferred) {
  AdamStepSimd out(W, M1, M2, static_cast<size_t>(N), rule, deferred);
  return weight_step(K, M, N, X, D, out, deferred != nullptr);
}

namespace {

// Where the fused step and forward pays: a first layer whose weights do not fit in cache (as for gemm_chunked),
// a next batch of at most one panel of rows (and its background's), and the step's transposed input gathered whole
// in kStepPanelEntries.
bool fused_step_then_forward_pays(int K, int M, int N, int Mn) {
  return N > kNarrowMaxN && K > kRowsOfBPerChunk && static_cast<size_t>(K) * N * sizeof(float) > kChunkedAboveBytes &&
         Mn <= kChunkedRows && static_cast<size_t>(K) * (M > 0 ? M : 1) <= kStepPanelEntries;
}

// A stepped row's update of W (and of the optimizer's moments), in non-zeros' worth (split_row).
constexpr int kStepRowCost = 3;

// The fused step and forward below sums each element of Y in two runs of W's rows, [0, split) and [split, K), and
// adds the two sums as the runs end: two threads that take a run each then write only their own pages of W (and of the
// optimizer's moments), where a fixed half of the columns each shared every row's pages, which slowed both
// (performance.md). Rows differ in work, so `split` halves it: given each row's work in work[k], in non-zeros'
// worth (the next batch's non-zeros in the row, Xn[Mn×K]'s column k, and the row's step: its non-zeros and its
// update of N weights, which costs about kStepRowCost of them), it returns the row in [1, K) where the work before
// it reaches half. One thread runs both in turn, to the same bits.
__attribute__((noinline)) int split_row(int K, const std::vector<int>& work) {
  long total = 0;
#pragma clang loop vectorize(disable) unroll(disable)
  for (int k = 0; k < K; ++k) total += work[k];
  long through = 0;
  int split = 1;
#pragma clang loop vectorize(disable) unroll(disable)
  while (split < K - 1 && 2 * (through += work[split - 1]) < total) ++split;
  return split;
}

// The fused step and forward's scratch on the calling thread: the rows' work (split_row: the next batch's non-zeros
// by column, scratch_for_sparse_next_batch, then each row's step work added) and the second run's sums.
struct RunScratch {
  std::vector<int> work;
  FloatBuffer second_sums;
};

// The scratch for K rows of W and Y[Mn×N].
__attribute__((noinline)) RunScratch& run_scratch(int K, int Mn, int N) {
  thread_local RunScratch scratch;
  scratch.work.resize(K);
  const size_t sums = static_cast<size_t>(Mn) * N;
  if (scratch.second_sums.size() < sums) scratch.second_sums.resize(sums);
  return scratch;
}

// The fused step's scratch for a next batch Xn[Mn×K], with the batch's non-zeros by column counted into its work
// (split_row reads them), each thread a share of the columns; null if the batch is too dense for the fused step's
// sparse forward (dense_pays's test).
__attribute__((noinline)) RunScratch* scratch_for_sparse_next_batch(int Mn, int K, int N, const float* Xn) {
  RunScratch& scratch = run_scratch(K, Mn, N);
  std::vector<int>& nonzeros = scratch.work;
  run_parts([&](int part, int parts) {
    int begin, end;
    part_range(K / 4, part, parts, &begin, &end);  // whole 4-column vectors, the last part the ragged end
    begin *= 4;
    end = part + 1 == parts ? K : 4 * end;
    std::fill(nonzeros.begin() + begin, nonzeros.begin() + end, 0);
    add_column_nonzeros(Mn, K, Xn, nonzeros.data(), begin, end);
  });
  long lit = 0;
#pragma clang loop vectorize(disable) unroll(disable)
  for (int k = 0; k < K; ++k) lit += nonzeros[k];
  return dense_share(lit, static_cast<size_t>(Mn) * K) ? nullptr : &scratch;
}

// Y's rows [row_begin, row_end): the first run's sums there plus the second run's in U, with the ReLU if `relu`
// (the bias is in the first run). Out of line: one copy for both fused steps.
__attribute__((noinline)) void add_runs(float* Y, bool relu, int row_begin, int row_end, int N, const float* U) {
  StoreCSimd out{{Y, static_cast<size_t>(N), relu}};
  const int vectors_end = N - N % 4;
  for (int row = row_begin; row < row_end; ++row) {
    const float* c = out.C + static_cast<size_t>(row) * N;
    const float* u = U + static_cast<size_t>(row) * N;
    int col = 0;
#pragma clang loop unroll(disable)
    for (; col < vectors_end; col += 4)
      out.vector(row, col, wasm_f32x4_add(wasm_v128_load(c + col), wasm_v128_load(u + col)));
#pragma clang loop vectorize(disable) unroll(disable)
    for (; col < N; ++col) out.scalar(row, col, c[col] + u[col]);
  }
}

// Rows [run_begin, run_end) of W in `count` even chunks of about kRowsOfBPerChunk rows (a short last chunk would
// cost a pass over the sums for little): chunk c is [start(c), start(c + 1)).
struct EvenChunks {
  int run_begin, length, count;
  EvenChunks(int begin, int end)
      : run_begin(begin),
        length(end - begin),
        count(std::max(1, (end - begin + kRowsOfBPerChunk / 2) / kRowsOfBPerChunk)) {}
  int start(int c) const { return run_begin + static_cast<int>(static_cast<long>(length) * c / count); }
};

// A run's last chunk of W's rows, which both threads may work on: the thread that ends its own run first takes
// part of the other's, as the runs' times vary from batch to batch beyond what split_row foresees (performance.md).
struct SharedLastChunk {
  std::atomic<int> next_row{0}, rows_stepped{0}, next_sample{0};
  std::atomic<bool> earlier_chunks_added{false};
};
// Claimed at a time in a shared last chunk: rows to step, and samples of the next batch to add the chunk's rows into.
constexpr int kClaimedRows = 2;
constexpr int kClaimedSamples = 4;

// Per group of kClaimedSamples samples: how many runs have stored their sums.
struct SampleGroupsDone {
  std::array<std::atomic<int>, (kChunkedRows + kClaimedSamples - 1) / kClaimedSamples> runs_done{};
};

// The fused step (`step`, an epilogue over W) then the next batch's forward, chunk by chunk of W's rows.
template <class Step>
bool step_then_forward(int K, int M, int N, const float* X, const float* D, float* W, Step& step, int Mn,
                       const float* Xn, const float* bias, float* Y, bool relu, RunScratch& scratch) {
  thread_local SparseRowPanel gathered_rows_of_w, gathered_next;
  thread_local std::vector<PlannedRow<Step>> planned;
  // The caller's buffers, by name-free reference: inside the lambdas below, the names would be each worker's own.
  SparseRowPanel& step_panel = gathered_rows_of_w;  // row k: the batch's non-zero inputs k, as offsets into D
  SparseRowPanel& next_panel = gathered_next;       // row m: the next batch's sample m, as offsets into W
  auto& plans = planned;
  step_panel.reserve(K, M);
  next_panel.reserve(Mn, K);
  plans.resize(K);
  // Both gathers, and the steps' plans (plan_row), split by rows. The trainer drew the next batch split by
  // samples the same way, so each thread gathers samples it wrote.
  run_parts([&](int part, int parts) {
    int begin, end;
    part_range(K, part, parts, &begin, &end);
    gather_and_plan_rows(step, X, M, K, N, 0, begin, end, step_panel, plans);
    part_range(Mn, part, parts, &begin, &end);
    next_panel.gather_rows(Xn, K, N, 0, begin, end);
  });
  // The two runs of W's rows (split_row), a thread each (one thread takes both in turn), chunk by chunk: a run
  // steps the chunk's rows, then adds them into its sums of the next batch while they are in cache. A run's last
  // chunk is shared (SharedLastChunk): the thread that ends its own run first works on the other's.
#pragma clang loop vectorize(disable) unroll(disable)
  for (int k = 0; k < K; ++k) scratch.work[k] += plans[k].steps ? step_panel.row_size(k) + kStepRowCost : 0;
  const int split = split_row(K, scratch.work);
  float* const second_sums = scratch.second_sums.data();
  const int whole = N - N % kSparseBlockColumns;
  const bool tail = whole < N;
  const Step blank = step;  // the threads' epilogues start from this, their checks empty
  std::array<std::optional<Step>, kMaxThreadCount> parts_out;
  std::array<ChunkProgress, 2> progress;  // per run, shared: a thread may finish the other run's last chunk
  std::array<SharedLastChunk, 2> last;
  SampleGroupsDone groups;
  run_parts([&](int part, int parts) {
    Step local = blank, tail_local = blank;  // sweep_tail
    // This thread's chunks: with two threads, its own run's and then the other run's last chunk; one thread takes
    // both runs whole.
    static_assert(kMaxThreadCount <= 2, "a run a thread");
    for (int segment = 0; segment < 2; ++segment) {
      const bool helping = parts == 2 && segment == 1;
      const int run = parts == 2 ? (part + segment) % 2 : segment;
      const int run_begin = run == 0 ? 0 : split, run_end = run == 0 ? split : K;
      const EvenChunks chunks(run_begin, run_end);
      if (!helping) progress[run].reset(next_panel, 0, Mn, run_begin, N);
      float* const sums = run == 0 ? Y : second_sums;
      StorePartialSums partial{sums, static_cast<size_t>(N)};
      for (int c = helping ? chunks.count - 1 : 0; c < chunks.count; ++c) {
        const int chunk = chunks.start(c), chunk_end = chunks.start(c + 1), rows = chunk_end - chunk;
        const bool is_last = c + 1 == chunks.count;
        if (is_last && !helping) last[run].earlier_chunks_added.store(true, std::memory_order_release);
        // An earlier chunk is this thread's alone: claimed whole, through the same code (so the code is there
        // once). In the last, a few rows' steps at a time, then (once every row is stepped and the earlier chunks'
        // sums are in place) a few samples' sums; a sample's sums run in the same order whoever adds them.
        SharedLastChunk alone;
        alone.earlier_chunks_added.store(true, std::memory_order_relaxed);
        SharedLastChunk& claims = is_last ? last[run] : alone;
        const int claimed_rows = is_last ? kClaimedRows : rows, claimed_samples = is_last ? kClaimedSamples : Mn;
        for (int at; (at = claims.next_row.fetch_add(claimed_rows)) < rows;) {
          const int end = std::min(rows, at + claimed_rows);
          for (int k = chunk + at; k < chunk + end; ++k) {
            if (!plans[k].steps) continue;
            local.use_row(plans[k].step);
            sweep_blocks(step_panel.row(k), step_panel.row_size(k), D, nullptr, k, 0, whole, local);
            if (tail) {
              tail_local.use_row(plans[k].step);
              sweep_tail(step_panel.row(k), step_panel.row_size(k), D, nullptr, k, N, tail_local);
            }
          }
          claims.rows_stepped.fetch_add(end - at, std::memory_order_release);
        }
        if (claims.next_sample.load(std::memory_order_relaxed) >= Mn) continue;
        while (claims.rows_stepped.load(std::memory_order_acquire) < rows ||
               !claims.earlier_chunks_added.load(std::memory_order_acquire)) {
        }
        for (int at; (at = claims.next_sample.fetch_add(claimed_samples)) < Mn;) {
          const int end = std::min(Mn, at + claimed_samples);
          StoreCSimd out{{sums, static_cast<size_t>(N)}};
          add_chunk(next_panel, 0, at, end, run_end, N, W, run == 0 ? bias : nullptr, chunk, chunk_end,
                    progress[run], out, partial);
          // Y = the first run's sums + the second's, added by the run that ends a group of samples second, while
          // its own sums are in cache.
          if (is_last && groups.runs_done[at / kClaimedSamples].fetch_add(1, std::memory_order_acq_rel) == 1) {
            add_runs(Y, relu, at, end, N, second_sums);
          }
        }
      }
    }
    local.absorb(tail_local);
    parts_out[part] = local;
  });
  for (int part = 0; part < thread_count(); ++part) step.absorb(*parts_out[part]);
  return step.finite();
}

}  // namespace

bool f32_gemm_momentum_step_then_forward_relu_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W,
                                                       float* V, float lr, float momentum,
                                                       const DeferredSteps* deferred, int Mn, const float* Xn,
                                                       const float* bias, float* Y, float weight_decay, bool relu) {
  // A dense next batch: the step, then the dense tiles' forward (faster there than the fused sparse one).
  RunScratch* const scratch =
      fused_step_then_forward_pays(K, M, N, Mn) ? scratch_for_sparse_next_batch(Mn, K, N, Xn) : nullptr;
  if (!scratch) {
    const bool finite = f32_gemm_momentum_step_wasmsimd(K, M, N, X, D, W, V, lr, momentum, deferred, weight_decay);
    (relu ? f32_gemm_relu_wasmsimd : f32_gemm_wasmsimd)(Mn, K, N, Xn, W, bias, Y);
    return finite;
  }
  MomentumStepSimd step(W, V, static_cast<size_t>(N), lr, momentum, deferred, weight_decay);
  return step_then_forward(K, M, N, X, D, W, step, Mn, Xn, bias, Y, relu, *scratch);
}

bool f32_gemm_adam_step_then_forward_relu_wasmsimd(int K, int M, int N, const float* X, const float* D, float* W,
                                                   float* M1, float* M2, const AdamRule& rule, int Mn, const float* Xn,
                                                   const float* bias, float* Y, const DeferredSteps* deferred,
                                                   bool relu) {
  RunScratch* const scratch =
      fused_step_then_forward_pays(K, M, N, Mn) ? scratch_for_sparse_next_batch(Mn, K, N, Xn) : nullptr;
  if (!scratch) {
    const bool finite = f32_gemm_adam_step_wasmsimd(K, M, N, X, D, W, M1, M2, rule, deferred);
    (relu ? f32_gemm_relu_wasmsimd : f32_gemm_wasmsimd)(Mn, K, N, Xn, W, bias, Y);
    return finite;
  }
  AdamStepSimd step(W, M1, M2, static_cast<size_t>(N), rule, deferred);
  return step_then_forward(K, M, N, X, D, W, step, Mn, Xn, bias, Y, relu, *scratch);
}

namespace {

// sums[begin, end) of the column sums of A[M×N].
void column_sums(int M, int N, const float* A, int begin, int end, float* sums) {
  int n = begin;
  for (; n + 4 <= end; n += 4) {
    v128_t acc = wasm_f32x4_splat(0.f);
    for (int m = 0; m < M; ++m) acc = wasm_f32x4_add(acc, wasm_v128_load(A + static_cast<size_t>(m) * N + n));
    wasm_v128_store(sums + n, acc);
  }
  for (; n < end; ++n) {
    float acc = 0.f;
    for (int m = 0; m < M; ++m) acc += A[static_cast<size_t>(m) * N + n];
    sums[n] = acc;
  }
}

// Column sums over at least this many elements are split across the threads (the first layer's bias gradient,
// 64×2048, on one thread kept the other waiting).
constexpr long kThreadedColumnSumsElements = 1 << 15;

}  // namespace

void f32_column_sums_wasmsimd(int M, int N, const float* A, float* sums) {
  if (thread_count() == 1 || static_cast<long>(M) * N < kThreadedColumnSumsElements) {
    column_sums(M, N, A, 0, N, sums);
    return;
  }
  // Each thread a run of whole 4-column vectors (the last takes the ragged end).
  run_parts([&](int part, int parts) {
    int begin, end;
    part_range(N / 4, part, parts, &begin, &end);
    column_sums(M, N, A, 4 * begin, part + 1 == parts ? N : 4 * end, sums);
  });
}

bool f32_momentum_step_wasmsimd(size_t n, float* w, float* v, const float* g, float lr, float momentum) {
  MomentumStepSimd step(w, v, 0, lr, momentum);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) step.vector(0, static_cast<int>(i), wasm_v128_load(g + i));
  for (; i < n; ++i) step.scalar(0, static_cast<int>(i), g[i]);
  return step.finite();
}

bool f32_adam_step_wasmsimd(size_t n, float* w, float* m, float* v, const float* g, const AdamRule& rule) {
  AdamStepSimd step(w, m, v, 0, rule);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) step.vector(0, static_cast<int>(i), wasm_v128_load(g + i));
  for (; i < n; ++i) step.scalar(0, static_cast<int>(i), g[i]);
  return step.finite();
}

const char* kernel_backend() { return "wasm-simd128"; }

}  // namespace scratchnet
#endif  // __wasm_simd128__
