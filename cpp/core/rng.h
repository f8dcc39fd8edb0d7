// A small seedable generator written here (not <random>) so that the same seed gives the same
// stream on every platform and standard library: weights and shuffles are bit-identical across
// runs of one build, in Node and in the browser.
#pragma once
#include <array>
#include <cstdint>
#include <cstddef>

namespace scratchnet {

// xoshiro128** seeded through splitmix64 (both public-domain algorithms by Blackman & Vigna).
class Rng {
 public:
  explicit Rng(uint64_t seed = 1) { reseed(seed); }
  void reseed(uint64_t seed);

  uint32_t next_u32();
  // Uniform float in [0, 1), 24 random bits.
  float uniform();
  // Standard normal (Box-Muller; the second value is cached).
  float normal();
  // Uniform integer in [0, bound), bound > 0, without modulo bias (Lemire's method).
  uint32_t below(uint32_t bound);
  // Fisher-Yates shuffle of items[0..count).
  void shuffle(uint32_t* items, size_t count);
  // The generator's position in its stream, to save and go on from (a cached normal is dropped).
  std::array<uint32_t, 4> state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::array<uint32_t, 4>& state);

 private:
  uint32_t s_[4];
  bool has_spare_normal_ = false;
  float spare_normal_ = 0.f;
};

}  // namespace scratchnet
