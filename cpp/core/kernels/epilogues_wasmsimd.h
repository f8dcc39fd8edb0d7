// What the wasm SIMD kernels do with each finished vector of sums: store it (with a ReLU or a mask), keep it as a
// partial sum, or step the weights with it (SGD with momentum, Adam), fused so that no gradient is stored.
// Included by kernels_wasmsimd.cpp alone: its unnamed namespace keeps the code's internal linkage there, so the
// inliner sees it as when it was written in that file.
#pragma once
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstddef>

#include "gemm_driver.h"
#include "optimizer.h"

namespace scratchnet {
namespace {

// The epilogues of gemm_driver.h, with 4-wide versions of their stores.
struct StoreCSimd : StoreC {
  void vector(int row, int col, v128_t sum) {
    const size_t at = row * N + col;
    const v128_t zero = wasm_f32x4_splat(0.f);
    if (relu) sum = wasm_v128_and(sum, wasm_f32x4_gt(sum, zero));
    if (mask) sum = wasm_v128_and(sum, wasm_f32x4_gt(wasm_v128_load(mask + at), zero));
    wasm_v128_store(C + at, sum);
  }
  void absorb(const StoreCSimd&) {}
};

// Partial sums, stored as they are (StoreCSimd would test for its ReLU and mask at every vector).
struct StorePartialSums {
  static constexpr bool kLongCode = false;
  float* C;
  size_t N;
  void vector(int row, int col, v128_t sum) { wasm_v128_store(C + row * N + col, sum); }
  void scalar(int row, int col, float sum) { C[row * N + col] = sum; }
};

struct MomentumStepSimd : MomentumStep {
  v128_t lr_v, decay_v, catch_up_v, weight_decay_v, check_v = wasm_f32x4_splat(0.f);
  MomentumStepSimd(float* w, float* v, size_t n, float rate, float mu, const DeferredSteps* deferred = nullptr,
                   float decay_rate = 0.f)
      : MomentumStep{w, v, n, rate, mu, deferred, decay_rate},
        lr_v(wasm_f32x4_splat(rate)),
        decay_v(wasm_f32x4_splat(mu)),
        catch_up_v(wasm_f32x4_splat(0.f)),
        weight_decay_v(wasm_f32x4_splat(decay_rate)) {}
  void use_row(const RowStep& step) {
    MomentumStep::use_row(step);
    decay_v = wasm_f32x4_splat(decay);
    catch_up_v = wasm_f32x4_splat(catch_up);
  }
  void vector(int row, int col, v128_t gradient) {
    float* v = V + row * N + col;
    float* w = W + row * N + col;
    const v128_t before = wasm_v128_load(v);
    v128_t weight = wasm_v128_load(w);
    if (weight_decay != 0.f) gradient = wasm_f32x4_add(gradient, wasm_f32x4_mul(weight_decay_v, weight));
    const v128_t velocity = wasm_f32x4_add(wasm_f32x4_mul(decay_v, before), gradient);
    wasm_v128_store(v, velocity);
    if (catch_up != 0.f) weight = wasm_f32x4_sub(weight, wasm_f32x4_mul(catch_up_v, before));
    weight = wasm_f32x4_sub(weight, wasm_f32x4_mul(lr_v, velocity));
    wasm_v128_store(w, weight);
    check_v = wasm_v128_or(check_v, wasm_f32x4_sub(weight, weight));
  }
  bool finite() const {
    return !wasm_v128_any_true(check_v) && MomentumStep::finite();
  }
  void absorb(const MomentumStepSimd& part) {
    check_v = wasm_v128_or(check_v, part.check_v);
    MomentumStep::absorb(part);
  }
};

struct AdamStepSimd : AdamStep {
  v128_t first_decay_v, second_decay_v, owed_shrink_v, owed_step_v, one_minus_beta1_v, one_minus_beta2_v,
      step_size_v, epsilon_v, shrink_v, l2_v, check_v = wasm_f32x4_splat(0.f);
  AdamStepSimd(float* w, float* m1, float* m2, size_t n, const AdamRule& rule, const DeferredSteps* deferrals = nullptr)
      : AdamStep{w, m1, m2, n, rule, deferrals},
        one_minus_beta1_v(wasm_f32x4_splat(one_minus_beta1)),
        one_minus_beta2_v(wasm_f32x4_splat(one_minus_beta2)),
        step_size_v(wasm_f32x4_splat(step_size)),
        epsilon_v(wasm_f32x4_splat(epsilon)),
        shrink_v(wasm_f32x4_splat(shrink)),
        l2_v(wasm_f32x4_splat(l2)) {
    use_row(row_step);
  }
  void use_row(const RowStep& step) {
    AdamStep::use_row(step);
    first_decay_v = wasm_f32x4_splat(step.first_decay);
    second_decay_v = wasm_f32x4_splat(step.second_decay);
    owed_shrink_v = wasm_f32x4_splat(step.owed_shrink);
    owed_step_v = wasm_f32x4_splat(step.owed_step);
  }
  void vector(int row, int col, v128_t gradient) {
    const size_t at = row * N + col;
    v128_t weight = wasm_v128_load(W + at);
    const v128_t m_before = wasm_v128_load(M1 + at), v_before = wasm_v128_load(M2 + at);
    if (row_step.owes)
      weight = wasm_f32x4_sub(wasm_f32x4_mul(owed_shrink_v, weight),
                              wasm_f32x4_div(wasm_f32x4_mul(owed_step_v, m_before),
                                             wasm_f32x4_add(wasm_f32x4_sqrt(v_before), epsilon_v)));
    if (l2 != 0.f) gradient = wasm_f32x4_add(gradient, wasm_f32x4_mul(l2_v, weight));
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(first_decay_v, m_before), wasm_f32x4_mul(one_minus_beta1_v, gradient));
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(second_decay_v, v_before),
                                    wasm_f32x4_mul(one_minus_beta2_v, wasm_f32x4_mul(gradient, gradient)));
    wasm_v128_store(M1 + at, m);
    wasm_v128_store(M2 + at, v);
    const v128_t denominator = wasm_f32x4_add(wasm_f32x4_sqrt(v), epsilon_v);
    weight = wasm_f32x4_sub(wasm_f32x4_mul(weight, shrink_v),
                            wasm_f32x4_div(wasm_f32x4_mul(step_size_v, m), denominator));
    wasm_v128_store(W + at, weight);
    check_v = wasm_v128_or(check_v, wasm_f32x4_sub(weight, weight));
  }
  bool finite() const {
    return !wasm_v128_any_true(check_v) && AdamStep::finite();
  }
  void absorb(const AdamStepSimd& part) {
    check_v = wasm_v128_or(check_v, part.check_v);
    AdamStep::absorb(part);
  }
};

}  // namespace
}  // namespace scratchnet

#endif  // __wasm_simd128__
