#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

// A bounded blocking queue (mutex + two condition variables).
class BlockingQueue {
  public:
    explicit BlockingQueue(size_t cap) : cap_(cap) {}
    void push(long v);
    std::optional<long> pop(); // nullopt once closed and drained
    void close();

  private:
    std::mutex m_;
    std::condition_variable not_empty_, not_full_;
    std::deque<long> items_;
    size_t cap_;
    bool closed_ = false;
};

long parallel_sum(const long *begin, const long *end, int depth); // std::async
