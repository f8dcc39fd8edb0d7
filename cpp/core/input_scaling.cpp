#include "input_scaling.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

#include <algorithm>
#include <cmath>

#include "dataset.h"

namespace scratchnet {

const char* scaling_name(ScalingKind kind) {
  switch (kind) {
    case ScalingKind::kRms: return "rms";
    case ScalingKind::kStandard: return "standard";
    case ScalingKind::kAuto: return "auto";
    default: return "unit";
  }
}

bool parse_scaling(const std::string& name, ScalingKind* kind) {
  if (name == "unit") *kind = ScalingKind::kUnit;
  else if (name == "rms") *kind = ScalingKind::kRms;
  else if (name == "standard") *kind = ScalingKind::kStandard;
  else if (name == "auto") *kind = ScalingKind::kAuto;
  else return false;
  return true;
}

InputScaling InputScaling::unit(int inputs) {
  InputScaling scaling;
  scaling.scale.assign(inputs, 1.f / 255.f);
  scaling.offset.assign(inputs, 0.f);
  scaling.refresh();
  return scaling;
}

InputScaling InputScaling::unfitted(ScalingKind kind, int inputs) {
  InputScaling scaling = unit(inputs);
  scaling.kind = kind == ScalingKind::kAuto ? ScalingKind::kRms : kind;
  return scaling;
}

InputScaling InputScaling::fit(ScalingKind kind, const Dataset& data) {
  const int F = data.features();
  InputScaling scaling = unfitted(kind, F);
  if (kind == ScalingKind::kUnit) return scaling;
  const PixelStats& stats = data.pixel_stats();
  const std::vector<uint64_t>& sum = stats.sum;
  const std::vector<uint64_t>& sum_squares = stats.sum_squares;
  const uint64_t lit = stats.lit;
  if (kind == ScalingKind::kAuto)
    kind = static_cast<double>(lit) >= kDenseLitShare * static_cast<double>(data.size()) * F ? ScalingKind::kStandard
                                                                                          : ScalingKind::kRms;
  scaling.kind = kind;
  const double n = static_cast<double>(data.size());
  double all_sum = 0, all_squares = 0;
  for (int k = 0; k < F; ++k) all_sum += static_cast<double>(sum[k]), all_squares += static_cast<double>(sum_squares[k]);
  const double count = n * F;
  if (kind == ScalingKind::kRms) {
    const double rms = std::sqrt(all_squares / count);
    const float s = rms > 0 ? static_cast<float>(kTargetRms / rms) : 1.f / 255.f;  // an all-black set stays as it is
    std::fill(scaling.scale.begin(), scaling.scale.end(), s);
  } else {
    // A pixel almost always blank has a tiny std: floored at a tenth of the whole set's, so that a rare stroke
    // there does not become a huge input.
    const double mean_all = all_sum / count;
    const double std_all = std::sqrt(std::max(0.0, all_squares / count - mean_all * mean_all));
    const double floor = std::max(1.0, 0.1 * std_all);
    for (int k = 0; k < F; ++k) {
      const double mean = static_cast<double>(sum[k]) / n;
      const double std = std::max(floor, std::sqrt(std::max(0.0, static_cast<double>(sum_squares[k]) / n - mean * mean)));
      scaling.scale[k] = static_cast<float>(kTargetRms / std);
      scaling.offset[k] = static_cast<float>(-mean * kTargetRms / std);
    }
  }
  scaling.refresh();
  return scaling;
}

void InputScaling::refresh() {
  keeps_zeros_ = std::all_of(offset.begin(), offset.end(), [](float o) { return o == 0.f; });
  uniform_ = keeps_zeros_ && std::all_of(scale.begin(), scale.end(), [&](float s) { return s == scale.front(); });
}

void InputScaling::apply(const uint8_t* pixels, float* x, uint8_t* used) const {
  const int n = inputs();
  int k = 0;
#if defined(__wasm_simd128__)
  // 16 pixels a step (the compiler left this loop scalar: a few percent of a training batch), the same products as
  // below; one loop for both kinds, as pixel·s + 0 is pixel·s to the bit (a smaller module, at the same speed).
  for (; k + 16 <= n; k += 16) {
    const v128_t p = wasm_v128_load(pixels + k);
    const v128_t low = wasm_u16x8_extend_low_u8x16(p), high = wasm_u16x8_extend_high_u8x16(p);
    const v128_t quarters[4] = {wasm_u32x4_extend_low_u16x8(low), wasm_u32x4_extend_high_u16x8(low),
                                wasm_u32x4_extend_low_u16x8(high), wasm_u32x4_extend_high_u16x8(high)};
    v128_t lit[4];
    for (int q = 0; q < 4; ++q) {
      const v128_t value = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_convert_u32x4(quarters[q]),
                                                         wasm_v128_load(scale.data() + k + 4 * q)),
                                          wasm_v128_load(offset.data() + k + 4 * q));
      wasm_v128_store(x + k + 4 * q, value);
      lit[q] = wasm_f32x4_ne(value, wasm_f32x4_splat(0.f));
    }
    if (used) {
      const v128_t lit16 = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(lit[0], lit[1]),
                                                   wasm_i16x8_narrow_i32x4(lit[2], lit[3]));
      wasm_v128_store(used + k, wasm_v128_or(wasm_v128_load(used + k), wasm_v128_and(lit16, wasm_i8x16_splat(1))));
    }
  }
#endif
  if (uniform_) {
    const float s = n > 0 ? scale.front() : 0.f;
    for (; k < n; ++k) {
      x[k] = pixels[k] * s;
      if (used) used[k] |= pixels[k];
    }
    return;
  }
  for (; k < n; ++k) {
    x[k] = pixels[k] * scale[k] + offset[k];
    if (used) used[k] |= x[k] != 0.f;
  }
}

}  // namespace scratchnet
