#include "tls.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

struct Result {
    int index;
    int uses;
    int plain;
    int local_counter;
    bool distinct_object;
    std::string name;
};

static std::mutex results_mutex;
static std::vector<Result> results;
static const Tracker *main_tracker = nullptr;

static void worker(int index) {
    // Each thread sees fresh copies.
    for (int i = 0; i <= index; ++i)
        tl_tracker.uses += 1;          // through the wrapper (other TU)
    use_tracker_here(10);              // same-TU access in tls_def.cpp
    tl_plain += index;
    tl_name += "-" + std::to_string(index);
    int lc = 0;
    for (int i = 0; i < 3; ++i)
        lc = tls_local_counter();
    Result r{index, tl_tracker.uses, tl_plain, lc, &tl_tracker != main_tracker, tl_name};
    std::lock_guard<std::mutex> lock(results_mutex);
    results.push_back(r);
}

int main() {
    main_tracker = &tl_tracker; // first use in main: constructs id 1
    tl_tracker.uses = 1;
    std::printf("main: id %d, plain %d, name %s\n", tl_tracker.id, tl_plain, tl_name.c_str());

    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back(worker, i);
    for (auto &t : threads)
        t.join();

    std::sort(results.begin(), results.end(),
              [](const Result &a, const Result &b) { return a.index < b.index; });
    for (const Result &r : results)
        std::printf("thread %d: uses %d, plain %d, local counter %d, own object %s, name %s\n",
                    r.index, r.uses, r.plain, r.local_counter, r.distinct_object ? "yes" : "no",
                    r.name.c_str());

    // After join, the workers' thread_local destructors have run.
    std::printf("built %d, destroyed %d (expect 5 and 4)\n", trackers_built.load(),
                trackers_destroyed.load());
    std::printf("main: uses %d, plain %d, local counter %d, name %s\n", use_tracker_here(0),
                tl_plain, tls_local_counter(), tl_name.c_str());
    bool ok = trackers_built.load() == 5 && trackers_destroyed.load() == 4;
    return ok ? 0 : 1;
}
