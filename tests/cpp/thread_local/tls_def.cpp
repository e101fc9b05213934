#include "tls.h"

#include <cstdio>

std::atomic<int> trackers_built{0};
std::atomic<int> trackers_destroyed{0};
std::atomic<int> next_id{0};

Tracker::Tracker() : id(next_id.fetch_add(1) + 1), label("tracker") {
    trackers_built.fetch_add(1);
}
Tracker::~Tracker() {
    trackers_destroyed.fetch_add(1);
    if (id == 1) // the main thread's tracker: destroyed at exit
        std::printf("main thread tracker destroyed after %d uses\n", uses);
}

thread_local Tracker tl_tracker;
thread_local int tl_plain = 7;
thread_local std::string tl_name = std::string("thread-") + "local";

int use_tracker_here(int n) {
    tl_tracker.uses += n;
    return tl_tracker.uses;
}

struct Counter {
    int value;
    Counter() : value(100) {}
};
int tls_local_counter() {
    thread_local Counter c;
    return ++c.value;
}
