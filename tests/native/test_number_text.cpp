// number_text (the messages' numbers, written without printf) against printf's "%g", which it replaces.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

#include "memory_budget.h"
#include "number_text.h"

namespace scratchnet {
namespace {

std::string printf_g(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

TEST(NumberText, WritesWhatPrintfGWrites) {
  for (double v : {0.001, 2.5, 1e30, -3.25e-7, 1000.0, 123456789.0, 0.1 + 0.2, 999999.5, 9999995.0, 1e-5, 1e-4,
                   0.00012345678, 100000.0, 999999.0, 1e6, 1.0, -1.0, 0.5, 1e-300, 1.7e308, 4096.0, 16384.5,
                   static_cast<double>(std::numeric_limits<float>::max()), 3.0000001})
    EXPECT_EQ(number_text(v), printf_g(v)) << v;
}

TEST(NumberText, AgreesWithPrintfOnManyValues) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> exponent(-12, 12), mantissa(1, 10);
  for (int i = 0; i < 200000; ++i) {
    const double v = (i % 2 ? -1 : 1) * mantissa(random) * std::pow(10.0, std::floor(exponent(random)));
    ASSERT_EQ(number_text(v), printf_g(v)) << v;
    const float f = static_cast<float>(v);  // the options' values arrive as floats
    ASSERT_EQ(number_text(f), printf_g(f)) << f;
  }
}

TEST(NumberText, NamesTheValuesThatAreNotNumbers) {
  EXPECT_EQ(number_text(0.0), "0");
  EXPECT_EQ(number_text(std::nan("")), "NaN");
  EXPECT_EQ(number_text(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(number_text(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(NumberText, BytesRoundToTheUnitShown) {
  EXPECT_EQ(format_bytes(0), "0 KB");
  EXPECT_EQ(format_bytes(499), "0 KB");
  EXPECT_EQ(format_bytes(500), "1 KB");
  EXPECT_EQ(format_bytes(999999), "1000 KB");
  EXPECT_EQ(format_bytes(1000000), "1 MB");
  EXPECT_EQ(format_bytes(96 * 1048576ull), "101 MB");
  EXPECT_EQ(format_bytes(999999999), "1000 MB");
  EXPECT_EQ(format_bytes(2147483648ull), "2.1 GB");
  EXPECT_EQ(format_bytes(2050000000ull), "2.1 GB");
  EXPECT_EQ(format_bytes(17179869184ull), "17.2 GB");
}

}  // namespace
}  // namespace scratchnet
