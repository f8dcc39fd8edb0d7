// Numbers as text for messages, without printf: snprintf's float formatting is a tenth of the embed's module.
#pragma once
#include <string>

namespace scratchnet {

// v with up to 6 significant digits, as printf's "%g" writes it ("0.001", "2.5", "1e+30", "-3.25e-07"), and
// "NaN", "Infinity", "-Infinity".
std::string number_text(double v);

}  // namespace scratchnet
