// thread_local objects with dynamic initialization, defined in tls_def.cpp
// and used from main.cpp: accesses from another TU go through the TLS
// wrapper function (_ZTW...) that runs the initialization (_ZTH...) once
// per thread.
#pragma once
#include <atomic>
#include <string>

struct Tracker {
    Tracker();  // non-trivial: counts constructions, remembers an id
    ~Tracker(); // non-trivial: counts destructions
    int id;
    int uses = 0;
    std::string label;
};

extern thread_local Tracker tl_tracker;      // dynamic init, non-trivial dtor
extern thread_local int tl_plain;            // constant init, no wrapper needed
extern thread_local std::string tl_name;     // dynamic init (std::string)
extern std::atomic<int> trackers_built;
extern std::atomic<int> trackers_destroyed;
extern std::atomic<int> next_id;

int use_tracker_here(int n); // in tls_def.cpp: same-TU access
int tls_local_counter();     // function-local thread_local with a ctor
