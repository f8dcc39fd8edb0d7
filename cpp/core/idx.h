// Reading the IDX format of MNIST: a 4-byte magic (0, 0, type, rank), rank big-endian uint32
// dimensions, then the data. Only unsigned bytes (type 0x08) are accepted, which is what MNIST,
// Fashion-MNIST, KMNIST and EMNIST ship.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace scratchnet {

struct IdxView {
  std::vector<uint32_t> dims;
  size_t header_bytes = 0;  // the data starts here
  size_t element_count = 0;
};

// Checks everything that can be checked of an IDX file of the given rank whose whole length is `size`,
// and describes it. `what` names the file in messages ("training images"). Reads only the header
// (at most 4 + 4·rank bytes, and never past `size`), so a caller may pass just the file's first bytes.
Status parse_idx(const uint8_t* data, size_t size, int expected_rank, const std::string& what, IdxView* view);

}  // namespace scratchnet
