// scratchnet::Rng: the one source of randomness, which must give the same stream on every platform.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "rng.h"

namespace {

using scratchnet::Rng;

// An independent transcription of splitmix64 seeding + xoshiro128** from Blackman & Vigna's published
// reference code, so a change to Rng's algorithm (which would silently change every seeded run) is caught.
struct Xoshiro128StarStar {
  uint32_t s[4];
  explicit Xoshiro128StarStar(uint64_t seed) {
    auto splitmix = [&seed]() {
      uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      return z ^ (z >> 31);
    };
    const uint64_t a = splitmix(), b = splitmix();
    s[0] = static_cast<uint32_t>(a);
    s[1] = static_cast<uint32_t>(a >> 32);
    s[2] = static_cast<uint32_t>(b);
    s[3] = static_cast<uint32_t>(b >> 32);
  }
  static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  uint32_t next() {
    const uint32_t result = rotl(s[1] * 5, 7) * 9;
    const uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
};

TEST(Rng, MatchesTheXoshiro128StarStarReference) {
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{42}, uint64_t{0xdeadbeefcafef00dull}}) {
    Rng rng(seed);
    Xoshiro128StarStar reference(seed);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng.next_u32(), reference.next()) << "seed " << seed << ", draw " << i;
  }
}

TEST(Rng, UniformAndBelowAreTheDocumentedFunctionsOfTheStream) {
  // uniform(): the top 24 bits scaled by 2^-24. below(): Lemire's multiply-shift with rejection of the
  // biased low products. Pinned exactly: the bias that skipping the rejection leaves is too small to
  // see statistically, but it changes the stream.
  for (uint32_t bound : {1u, 3u, 10u, 0x80000001u, 0xC0000000u, 0xFFFFFFFFu}) {
    Rng rng(77);
    Xoshiro128StarStar reference(77);
    for (int i = 0; i < 2000; ++i) {
      uint64_t product = static_cast<uint64_t>(reference.next()) * bound;
      const uint32_t threshold = (0u - bound) % bound;
      while (static_cast<uint32_t>(product) < threshold) product = static_cast<uint64_t>(reference.next()) * bound;
      ASSERT_EQ(rng.below(bound), static_cast<uint32_t>(product >> 32)) << "bound " << bound << ", draw " << i;
    }
  }
  Rng rng(78);
  Xoshiro128StarStar reference(78);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng.uniform(), static_cast<float>(reference.next() >> 8) / 16777216.f);
}

TEST(Rng, SameSeedGivesSameStream) {
  Rng a(12345), b(12345);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(a.next_u32(), b.next_u32());
    ASSERT_EQ(a.uniform(), b.uniform());
    ASSERT_EQ(a.normal(), b.normal());
    ASSERT_EQ(a.below(1000), b.below(1000));
  }
}

TEST(Rng, ReseedRestartsTheStreamIncludingTheCachedNormal) {
  Rng fresh(7);
  std::vector<float> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(fresh.normal());

  Rng rng(99);
  rng.normal();  // an odd count leaves a spare normal cached; reseed must drop it
  rng.reseed(7);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rng.normal(), expected[i]) << i;
}

TEST(Rng, DifferentSeedsGiveDifferentStreams) {
  // Includes seeds differing only in the high 32 bits: the whole 64-bit seed must count.
  const uint64_t seeds[] = {0, 1, 2, uint64_t{1} << 32, (uint64_t{1} << 32) | 1};
  for (size_t i = 0; i < std::size(seeds); ++i) {
    for (size_t j = i + 1; j < std::size(seeds); ++j) {
      Rng a(seeds[i]), b(seeds[j]);
      int same = 0;
      for (int k = 0; k < 1000; ++k) same += a.next_u32() == b.next_u32();
      EXPECT_LT(same, 3) << "seeds " << seeds[i] << " and " << seeds[j];
    }
  }
}

TEST(Rng, UniformIsInUnitIntervalWith24Bits) {
  Rng rng(3);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  float lo = 1.f, hi = 0.f;
  for (int i = 0; i < n; ++i) {
    const float u = rng.uniform();
    ASSERT_GE(u, 0.f);
    ASSERT_LT(u, 1.f);
    // 24 random bits: u·2^24 is an integer.
    const float scaled = u * 16777216.f;
    ASSERT_EQ(scaled, std::floor(scaled));
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
    sum_sq += static_cast<double>(u) * u;
  }
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 0.005);        // standard error ≈ 0.0009
  EXPECT_NEAR(var, 1.0 / 12.0, 0.002);  // 0.0833
  EXPECT_LT(lo, 0.001f);
  EXPECT_GT(hi, 0.999f);
}

TEST(Rng, NormalHasZeroMeanAndUnitVariance) {
  Rng rng(4);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  int within_one = 0;
  for (int i = 0; i < n; ++i) {
    const float x = rng.normal();
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum_sq += static_cast<double>(x) * x;
    within_one += std::fabs(x) < 1.f;
  }
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.02);                              // standard error ≈ 0.003
  EXPECT_NEAR(var, 1.0, 0.03);                               // standard error ≈ 0.0045
  EXPECT_NEAR(static_cast<double>(within_one) / n, 0.6827, 0.01);  // the shape, not just two moments
}

TEST(Rng, BelowStaysInRange) {
  Rng rng(5);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng.below(1), 0u);
  for (uint32_t bound : {2u, 3u, 7u, 1000u, 0x80000001u, 0xFFFFFFFFu}) {
    for (int i = 0; i < 10000; ++i) ASSERT_LT(rng.below(bound), bound) << "bound " << bound;
  }
}

TEST(Rng, BelowIsRoughlyUniform) {
  Rng rng(6);
  const uint32_t bound = 10;
  const int n = 100000;
  std::vector<int> counts(bound, 0);
  for (int i = 0; i < n; ++i) ++counts[rng.below(bound)];
  for (uint32_t v = 0; v < bound; ++v) {
    // Expected 10000 each, standard deviation ≈ 95.
    EXPECT_GT(counts[v], 9500) << v;
    EXPECT_LT(counts[v], 10500) << v;
  }
  // With bound 3·2^30, a plain modulo would make values below 2^30 twice as likely: 62.5% in the low half.
  const uint32_t big = 0xC0000000u;
  int low_half = 0;
  for (int i = 0; i < n; ++i) low_half += rng.below(big) < big / 2;
  EXPECT_NEAR(static_cast<double>(low_half) / n, 0.5, 0.01);
}

TEST(Rng, ShuffleIsAPermutation) {
  Rng rng(8);
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{17}, size_t{1000}}) {
    std::vector<uint32_t> items(n);
    std::iota(items.begin(), items.end(), 0u);
    rng.shuffle(items.data(), n);
    std::vector<uint32_t> sorted = items;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "n " << n;
    if (n == 1000) {
      std::vector<uint32_t> identity(n);
      std::iota(identity.begin(), identity.end(), 0u);
      EXPECT_NE(items, identity);
    }
  }
}

TEST(Rng, ShuffleIsDeterministicPerSeed) {
  auto shuffled = [](uint64_t seed) {
    std::vector<uint32_t> items(100);
    std::iota(items.begin(), items.end(), 0u);
    Rng rng(seed);
    rng.shuffle(items.data(), items.size());
    return items;
  };
  EXPECT_EQ(shuffled(11), shuffled(11));
  EXPECT_NE(shuffled(11), shuffled(12));
}

TEST(Rng, ShuffleGivesEveryPermutationEquallyOften) {
  // Off-by-one Fisher-Yates variants (e.g. j in [0, i-1)) skew or miss permutations of 3 items.
  Rng rng(9);
  std::map<std::vector<uint32_t>, int> counts;
  const int n = 60000;
  for (int i = 0; i < n; ++i) {
    std::vector<uint32_t> items = {0, 1, 2};
    rng.shuffle(items.data(), items.size());
    ++counts[items];
  }
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [perm, count] : counts) {
    // Expected 10000 each, standard deviation ≈ 91.
    EXPECT_GT(count, 9500);
    EXPECT_LT(count, 10500);
  }
}

}  // namespace
