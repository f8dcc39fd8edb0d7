// How a model turns pixels (0..255) into inputs: x[k] = pixel[k]·scale[k] + offset[k], fitted once to the
// training set's uint8 pixels and stored in the model file, so a saved model predicts the same anywhere.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace scratchnet {

enum class ScalingKind : uint32_t {
  kUnit = 0,      // pixel / 255: the original network's inputs
  kRms = 1,       // pixel · s, one s for every pixel, so that the inputs' root mean square is kTargetRms: zeros stay
                  // zero, so sparse images keep the sparse kernels' speed, and dense ones get no larger a step
  kStandard = 2,  // (pixel − mean[k]) / std[k] · kTargetRms per pixel: centred, so no input is zero (the dense path)
  kAuto = 3,      // chosen when fitted: rms for a sparse set (under a third of its pixels lit), standard for a denser one,
                  // which the sparse kernels cannot speed up anyway and which learns far better centred
};
// The inputs' root mean square after rms or standard scaling: MNIST's own as pixel / 255, the inputs the default
// learning rates were tuned on, so that those rates suit every set.
constexpr double kTargetRms = 0.3347;
const char* scaling_name(ScalingKind kind);  // "unit" / "rms" / "standard" / "auto"
// Sets with at least this share of their pixels lit are dense (ScalingKind::kAuto). MNIST has 19% lit and keeps its
// zeros; Fashion-MNIST, 50% lit, learnt a point better centred (docs/training.md).
constexpr double kDenseLitShare = 1.0 / 3.0;
bool parse_scaling(const std::string& name, ScalingKind* kind);

class Dataset;

struct InputScaling {
  ScalingKind kind = ScalingKind::kUnit;
  std::vector<float> scale, offset;  // per input

  // pixel / 255 for `inputs` inputs.
  static InputScaling unit(int inputs);
  // Fitted to every pixel of `data`, which must not be empty (kAuto resolved to the kind that suits it).
  static InputScaling fit(ScalingKind kind, const Dataset& data);
  // Pixel / 255 under `kind`'s name (kAuto as rms), for a model not fitted to a set yet.
  static InputScaling unfitted(ScalingKind kind, int inputs);

  int inputs() const { return static_cast<int>(scale.size()); }
  // True when a zero pixel gives a zero input (no offsets).
  bool keeps_zeros() const { return keeps_zeros_; }
  // x[0..n) from pixels[0..n) (n = inputs()); with `used`, used[k] |= whether x[k] is non-zero (any value where
  // zeros are not kept), from the same read of the pixels.
  void apply(const uint8_t* pixels, float* x, uint8_t* used) const;
  // Recomputes what apply() relies on after scale and offset were set by hand (the model file).
  void refresh();

 private:
  bool keeps_zeros_ = true;
  bool uniform_ = true;  // one scale for every input, no offsets: the fill is one multiply a pixel
};

}  // namespace scratchnet
