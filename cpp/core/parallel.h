// Splitting a kernel's independent parts across threads. Built with SCRATCHNET_THREADS (the pthread
// wasm build, used where the page is cross-origin isolated), a small pool of worker threads runs the
// parts; otherwise everything runs on the calling thread. Parts never change how any single output is
// summed, so results are the same to the bit with or without threads.
#pragma once
#include <memory>

namespace scratchnet {

// The most threads a kernel runs on: the pthread pool the wasm build preallocates (PTHREAD_POOL_SIZE).
constexpr int kMaxThreadCount = 2;

// Threads that work on a kernel (the caller included): 1 in a build without threads.
int thread_count();
// Asks for n threads (at least 1, at most kMaxThreadCount); returns how many there will be.
int set_thread_count(int n);
// How many distinct threads ran the parts of one run_parts, counted as they run: what a build really does,
// where thread_count() is what it asks for (tests hold the pthread build to 2).
int threads_running_parts();

// run_parts below, with the body borrowed as a function and its object.
void run_parts_with(void (*call)(const void* body, int part, int parts), const void* body);

// Runs body(part, parts) for every part in [0, parts), parts = thread_count(); part 0 on the caller.
// Returns when every part has finished. The body is borrowed, never copied: a std::function would allocate
// for most kernels' lambdas, several times a training batch.
template <class Body>
void run_parts(const Body& body) {
  run_parts_with([](const void* b, int part, int parts) { (*static_cast<const Body*>(b))(part, parts); },
                 std::addressof(body));
}

// The share [begin, end) of `count` items that part `part` of `parts` takes.
inline void part_range(int count, int part, int parts, int* begin, int* end) {
  *begin = static_cast<int>(static_cast<long long>(count) * part / parts);
  *end = static_cast<int>(static_cast<long long>(count) * (part + 1) / parts);
}

}  // namespace scratchnet
