#include "idx.h"

namespace scratchnet {

namespace {
uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
std::string hex_byte(uint8_t b) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}
}  // namespace

Status parse_idx(const uint8_t* data, size_t size, int expected_rank, const std::string& what, IdxView* view) {
  if (size == 0) return Status::Error(what + ": the file is empty");
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    return Status::Error(what + ": the file is still gzip-compressed; decompress it first");
  if (size < 4) return Status::Error(what + ": the file is " + std::to_string(size) + " bytes, too short for an IDX header");
  if (data[0] != 0 || data[1] != 0)
    return Status::Error(what + ": not an IDX file (the magic number must start with two zero bytes, found " +
                         hex_byte(data[0]) + " " + hex_byte(data[1]) + ")");
  if (data[2] != 0x08)
    return Status::Error(what + ": IDX data type " + hex_byte(data[2]) + " is not supported (expected 0x08, unsigned bytes)");
  if (data[3] != expected_rank)
    return Status::Error(what + ": expected " + std::to_string(expected_rank) + " dimensions, the file has " +
                         std::to_string(data[3]));
  const size_t header = 4 + 4 * static_cast<size_t>(expected_rank);
  if (size < header)
    return Status::Error(what + ": the file is " + std::to_string(size) + " bytes, shorter than its " +
                         std::to_string(header) + "-byte header");
  IdxView result;
  result.header_bytes = header;
  uint64_t count = 1;  // 64-bit: size_t is 32 bits in wasm32
  for (int i = 0; i < expected_rank; ++i) {
    const uint32_t dim = read_be32(data + 4 + 4 * i);
    if (dim == 0) return Status::Error(what + ": dimension " + std::to_string(i) + " is zero (an empty set)");
    count *= dim;  // each factor < 2^32 and the product is capped below, so this never overflows
    if (count > (uint64_t{1} << 31)) return Status::Error(what + ": the header declares more than 2 GB of data");
    result.dims.push_back(dim);
  }
  result.element_count = static_cast<size_t>(count);
  const size_t expected = header + static_cast<size_t>(count);
  if (size < expected)
    return Status::Error(what + ": the file is truncated: its header declares " + std::to_string(expected) +
                         " bytes, the file has " + std::to_string(size));
  if (size > expected)
    return Status::Error(what + ": the file has " + std::to_string(size - expected) +
                         " bytes more than its header declares (" + std::to_string(expected) + ")");
  *view = std::move(result);
  return Status::Ok();
}

}  // namespace scratchnet
