#include "input_background.h"

#include <algorithm>
#include <cstdint>

#include "dataset.h"
#include "input_scaling.h"

namespace scratchnet {

std::vector<float> fit_input_background(const InputScaling& scaling, const Dataset& data) {
  const int F = data.features();
  if (data.empty() || F != scaling.inputs()) return {};
  const size_t images = std::min(data.size(), kBackgroundSampleImages);
  auto sampled = [&](size_t i) { return data.image(i * data.size() / images); };
  // Per pixel, the value held by most of the sampled images, if one is held by more than half (a majority vote:
  // a running candidate and its lead).
  std::vector<uint8_t> common(F, 0);
  std::vector<int> lead(F, 0);
  for (size_t i = 0; i < images; ++i) {
    const uint8_t* pixels = sampled(i);
    for (int k = 0; k < F; ++k) {
      if (lead[k] == 0) common[k] = pixels[k];
      lead[k] += pixels[k] == common[k] ? 1 : -1;
    }
  }
  // Where no value is held by most, the vote's candidate is any value: zero instead, if it is more common (blank
  // pixels in images half lit, as Fashion-MNIST's).
  std::vector<int> candidates(F, 0), zeros(F, 0);
  for (size_t i = 0; i < images; ++i) {
    const uint8_t* pixels = sampled(i);
    for (int k = 0; k < F; ++k) candidates[k] += pixels[k] == common[k], zeros[k] += pixels[k] == 0;
  }
  size_t on_background = 0, zero_pixels = 0;
  for (int k = 0; k < F; ++k) {
    if (zeros[k] > candidates[k]) common[k] = 0, candidates[k] = zeros[k];
    on_background += candidates[k];
    zero_pixels += zeros[k];
  }
  // c: the inputs of an image of the common values, by the fill every batch takes, so that x − c is exactly zero
  // on the background.
  std::vector<float> c(F);
  scaling.apply(common.data(), c.data(), nullptr);
  // The non-zero inputs as they are: the lit pixels where zeros stay zero, else (offsets) nearly all.
  const size_t all = images * F, nonzero = scaling.keeps_zeros() ? all - zero_pixels : all;
  const double around = static_cast<double>(all - on_background);
  if (std::all_of(c.begin(), c.end(), [](float v) { return v == 0.f; }) || around > kBackgroundPaysBelow * all ||
      around > kBackgroundCuts * nonzero)
    return {};
  return c;
}

}  // namespace scratchnet
