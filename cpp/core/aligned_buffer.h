// Float buffers the kernels stream through, each starting on a cache line. wasm32's malloc aligns to 8
// bytes only, so a plain std::vector<float> may start half-way into a 16-byte vector: then every fourth
// 16-byte load of a row straddles two cache lines, and which buffers do so changes from build to build.
// Large buffers start on a page: two threads that split a matrix of 2,048-float rows by columns then each own
// whole pages (a core's prefetcher runs ahead within a page, into lines the other core may be writing).
#pragma once
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace scratchnet {

constexpr std::size_t kCacheLineBytes = 64;
constexpr std::size_t kPageBytes = 4096;
constexpr std::size_t kPageAlignedFromBytes = std::size_t{64} << 10;

constexpr std::size_t buffer_alignment(std::size_t bytes) {
  return bytes >= kPageAlignedFromBytes ? kPageBytes : kCacheLineBytes;
}

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    // Without exceptions a failed allocation would come back null and be written through (zeroing the module's
    // static data from address 0): the memory budget (memory_budget.h) refuses what would not fit first, and a
    // failure past it stops here, loudly, instead.
    void* p = ::operator new(n * sizeof(T), std::align_val_t(buffer_alignment(n * sizeof(T))), std::nothrow);
    if (!p) {
      std::fputs("scratchnet: out of memory allocating ", stderr);
      std::fputs(std::to_string(n * sizeof(T)).c_str(), stderr);  // short enough to need no allocation
      std::fputs(" bytes\n", stderr);
      std::abort();
    }
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) { ::operator delete(p, std::align_val_t(buffer_alignment(n * sizeof(T)))); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

using FloatBuffer = std::vector<float, CacheLineAllocator<float>>;

}  // namespace scratchnet
