// std::thread, std::mutex, std::condition_variable, std::atomic,
// std::async / std::future / std::promise, std::call_once.
#include "queue.h"

#include <atomic>
#include <cstdio>
#include <future>
#include <numeric>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <vector>

static std::once_flag once;
static int once_runs = 0;

int main() {
    // Producers and consumers over a bounded queue.
    BlockingQueue q(8);
    std::atomic<long> consumed_sum{0};
    std::atomic<int> consumed_count{0};
    std::vector<std::thread> consumers, producers;
    for (int c = 0; c < 3; ++c)
        consumers.emplace_back([&] {
            while (auto v = q.pop()) {
                consumed_sum.fetch_add(*v, std::memory_order_relaxed);
                consumed_count.fetch_add(1, std::memory_order_relaxed);
                std::call_once(once, [] { ++once_runs; });
            }
        });
    for (int p = 0; p < 4; ++p)
        producers.emplace_back([&q, p] {
            for (long i = 1; i <= 500; ++i)
                q.push(i * (p + 1));
        });
    for (auto &t : producers)
        t.join();
    q.close();
    for (auto &t : consumers)
        t.join();
    std::printf("queue: %d items, sum %ld (expect 2000, %ld), call_once ran %d time(s)\n",
                consumed_count.load(), consumed_sum.load(), 125250L * 10, once_runs);

    // A mutex-protected counter and an atomic counter, 4 threads each.
    long plain = 0;
    std::mutex m;
    std::atomic<long> atomic_count{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&] {
            for (int i = 0; i < 20000; ++i) {
                {
                    std::lock_guard<std::mutex> lock(m);
                    ++plain;
                }
                atomic_count.fetch_add(1);
            }
        });
    for (auto &t : ts)
        t.join();
    std::printf("mutex counter %ld, atomic counter %ld\n", plain, atomic_count.load());

    // Compare-and-swap loop computing a maximum.
    std::atomic<int> maximum{0};
    std::vector<std::thread> ms;
    for (int t = 0; t < 4; ++t)
        ms.emplace_back([&maximum, t] {
            for (int i = 0; i < 1000; ++i) {
                int v = (i * 7919 + t * 104729) % 100003;
                int cur = maximum.load();
                while (v > cur && !maximum.compare_exchange_weak(cur, v)) {
                }
            }
        });
    for (auto &t : ms)
        t.join();
    std::printf("CAS maximum %d\n", maximum.load());

    // std::async recursion and futures.
    std::vector<long> data(100000);
    std::iota(data.begin(), data.end(), 1L);
    long s = parallel_sum(data.data(), data.data() + data.size(), 3);
    std::printf("parallel_sum %ld (expect %ld)\n", s, 100000L * 100001L / 2);

    // promise/future, including an exception carried through a future.
    std::promise<std::string> pr;
    std::future<std::string> fut = pr.get_future();
    std::thread setter([&pr] { pr.set_value("value from another thread"); });
    std::printf("future: %s\n", fut.get().c_str());
    setter.join();
    auto failing = std::async(std::launch::async, []() -> int {
        throw std::runtime_error("thrown in async task");
    });
    try {
        failing.get();
    } catch (const std::exception &e) {
        std::printf("future rethrew: %s\n", e.what());
    }
    auto deferred = std::async(std::launch::deferred, [] { return 6 * 7; });
    std::printf("deferred: %d\n", deferred.get());

    // shared_mutex: readers and a writer.
    std::shared_mutex sm;
    int shared_value = 0;
    std::atomic<long> read_total{0};
    std::vector<std::thread> rw;
    rw.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) {
            std::unique_lock<std::shared_mutex> w(sm);
            ++shared_value;
        }
    });
    for (int r = 0; r < 2; ++r)
        rw.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                std::shared_lock<std::shared_mutex> rd(sm);
                read_total.fetch_add(shared_value >= 0 ? 1 : 0);
            }
        });
    for (auto &t : rw)
        t.join();
    std::printf("shared_mutex: value %d, reads %ld\n", shared_value, read_total.load());
    return 0;
}
