#include "parallel.h"

#if defined(SCRATCHNET_THREADS)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace scratchnet {

#if defined(SCRATCHNET_THREADS)

namespace {

// Workers wait for a new generation of work, run their part, and report back. Waits spin for up to 2 ms
// before they sleep: the gaps between a training step's kernels, and from one step to the next, are shorter
// than that, and waking a sleeping thread (a futex, Atomics.wait/notify in wasm) costs more than spinning
// through them (performance.md). A pool that has no work for 2 ms sleeps.
template <class Done>
bool spin_until(Done done) {
  constexpr auto kSpinTime = std::chrono::milliseconds(2);
  const auto start = std::chrono::steady_clock::now();
  for (unsigned spin = 1;; ++spin) {
    if (done()) return true;
    // The clock is a call out of wasm: look at it now and then.
    if (spin % 1024 == 0 && std::chrono::steady_clock::now() - start > kSpinTime) return done();
  }
}

class Pool {
 public:
  int threads() const { return threads_; }
  int set_threads(int n) {
    threads_ = n < 1 ? 1 : n > kMaxThreadCount ? kMaxThreadCount : n;
    return threads_;
  }

  void run(void (*call)(const void*, int, int), const void* body) {
    const int parts = threads_;
    if (parts == 1) {
      call(body, 0, 1);
      return;
    }
    start_workers(parts - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      call_ = call;
      body_ = body;
      parts_ = parts;
      pending_.store(parts - 1);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    call(body, 0, parts);
    if (!spin_until([this] { return pending_.load() == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return pending_.load() == 0; });
    }
  }

 private:
  void start_workers(int wanted) {
    while (static_cast<int>(workers_.size()) < wanted) {
      const int part = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, part] { work(part); });
      workers_.back().detach();  // they live as long as the module
    }
  }

  void work(int part) {
    unsigned long long seen = 0;
    for (;;) {
      spin_until([&] { return generation_.load() != seen; });
      void (*call)(const void*, int, int);
      const void* body;
      int parts;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        call = call_;
        body = body_;
        parts = parts_;
      }
      if (part < parts) {
        call(body, part, parts);
        if (pending_.fetch_sub(1) == 1) {
          std::lock_guard<std::mutex> lock(mutex_);  // so the caller cannot miss the notification
          done_.notify_one();
        }
      }
    }
  }

  int threads_ = kMaxThreadCount;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  void (*call_)(const void*, int, int) = nullptr;
  const void* body_ = nullptr;
  int parts_ = 1;
  std::atomic<int> pending_{0};
  std::atomic<unsigned long long> generation_{0};
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

int thread_count() { return pool().threads(); }
int threads_running_parts() {
  std::thread::id ids[kMaxThreadCount];
  run_parts([&](int part, int) { ids[part] = std::this_thread::get_id(); });
  int distinct = 0;
  for (int i = 0; i < thread_count(); ++i) {
    bool seen = false;
    for (int j = 0; j < i; ++j) seen |= ids[j] == ids[i];
    distinct += !seen;
  }
  return distinct;
}
int set_thread_count(int n) { return pool().set_threads(n); }
void run_parts_with(void (*call)(const void*, int, int), const void* body) { pool().run(call, body); }

#else

int thread_count() { return 1; }
int threads_running_parts() { return 1; }
int set_thread_count(int) { return 1; }
void run_parts_with(void (*call)(const void*, int, int), const void* body) { call(body, 0, 1); }

#endif

}  // namespace scratchnet
