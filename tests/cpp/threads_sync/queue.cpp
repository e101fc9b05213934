#include "queue.h"

#include <future>

void BlockingQueue::push(long v) {
    std::unique_lock<std::mutex> lock(m_);
    not_full_.wait(lock, [this] { return items_.size() < cap_; });
    items_.push_back(v);
    not_empty_.notify_one();
}

std::optional<long> BlockingQueue::pop() {
    std::unique_lock<std::mutex> lock(m_);
    not_empty_.wait(lock, [this] { return !items_.empty() || closed_; });
    if (items_.empty())
        return std::nullopt;
    long v = items_.front();
    items_.pop_front();
    not_full_.notify_one();
    return v;
}

void BlockingQueue::close() {
    std::lock_guard<std::mutex> lock(m_);
    closed_ = true;
    not_empty_.notify_all();
}

long parallel_sum(const long *begin, const long *end, int depth) {
    if (depth == 0 || end - begin < 1000) {
        long s = 0;
        for (const long *p = begin; p != end; ++p)
            s += *p;
        return s;
    }
    const long *mid = begin + (end - begin) / 2;
    auto left = std::async(std::launch::async, parallel_sum, begin, mid, depth - 1);
    long right = parallel_sum(mid, end, depth - 1);
    return left.get() + right;
}
