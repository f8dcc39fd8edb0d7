#include "number_text.h"

#include <cmath>
#include <cstdint>

namespace scratchnet {

namespace {

// magnitude / 10^(exponent - 5), rounded half to even as printf rounds; scaled by an exact power of ten where one
// exists, so that the quotient is rounded once.
int64_t six_digits(double magnitude, int exponent) {
  const int shift = exponent - 5;
  const double scaled = shift >= -22 && shift < 0 ? magnitude * std::pow(10.0, -shift)
                                                  : magnitude / std::pow(10.0, shift);
  return static_cast<int64_t>(std::nearbyint(scaled));
}

}  // namespace

std::string number_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  std::string text = v < 0 ? "-" : "";
  const double magnitude = std::fabs(v);
  // Six significant digits: digits × 10^(exponent - 5), digits in [100000, 999999].
  int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
  auto digits = six_digits(magnitude, exponent);
  if (digits >= 1000000) {  // rounding carried into a seventh digit (or log10 fell just short)
    ++exponent;
    digits = six_digits(magnitude, exponent);
  } else if (digits < 100000) {  // log10 came out just above a power of ten
    --exponent;
    digits = six_digits(magnitude, exponent);
  }
  std::string mantissa = std::to_string(digits);  // six characters
  const bool scientific = exponent < -4 || exponent >= 6;
  const int point = scientific ? 1 : exponent + 1;  // digits before the decimal point (≤ 0: leading zeros)
  std::string body;
  if (point <= 0)
    body = "0." + std::string(static_cast<size_t>(-point), '0') + mantissa;
  else
    body = mantissa.substr(0, static_cast<size_t>(point)) + "." + mantissa.substr(static_cast<size_t>(point));
  while (body.back() == '0') body.pop_back();
  if (body.back() == '.') body.pop_back();
  text += body;
  if (scientific) {
    const int e = exponent < 0 ? -exponent : exponent;
    text += std::string(exponent < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + std::to_string(e);
  }
  return text;
}

}  // namespace scratchnet
