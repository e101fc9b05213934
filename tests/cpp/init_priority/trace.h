// Global objects with constructors and destructors in several TUs, some
// with init_priority. Constructors run by ascending priority (101 first,
// unprioritized = 65535 last), same priority in link order; destructors
// and atexit handlers run in the reverse order of registration.
#pragma once
#include <cstdio>
#include <cstdlib>

extern char order_log[256];
extern int order_len;

inline void note(char c) {
    if (order_len < 255)
        order_log[order_len++] = c;
}

struct Tracer {
    const char *name;
    char mark;
    explicit Tracer(const char *n, char m) : name(n), mark(m) {
        note(m);
        std::printf("ctor %s\n", name);
    }
    ~Tracer() { std::printf("dtor %s\n", name); }
};

void register_atexit(const char *who); // in a.cpp
Tracer &lazy_tracer();                 // function-local static, in b.cpp
