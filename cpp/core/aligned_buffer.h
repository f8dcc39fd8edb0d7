// Float buffers the kernels stream through, each starting on a cache line. wasm32's malloc aligns to 8
// bytes only, so a plain std::vector<float> may start half-way into a 16-byte vector: then every fourth
// 16-byte load of a row straddles two cache lines, and which buffers do so changes from build to build.
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace scratchnet {

constexpr std::size_t kCacheLineBytes = 64;

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kCacheLineBytes)));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kCacheLineBytes)); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

using FloatBuffer = std::vector<float, CacheLineAllocator<float>>;

}  // namespace scratchnet
