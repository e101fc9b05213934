#include "trace.h"

char order_log[256];
int order_len = 0;

// order_log itself is constant-initialized (zero), so it is usable from
// the earliest constructor in any TU.
Tracer a_late __attribute__((init_priority(3000))) ("a.3000", 'D');
Tracer a_first __attribute__((init_priority(101))) ("a.101", 'A');
Tracer a_default("a.default", 'F');

static const char *atexit_names[8];
static int atexit_count = 0;
static void run_atexit() {
    // atexit handlers run LIFO: the last registered name prints first.
    --atexit_count;
    std::printf("atexit %s\n", atexit_names[atexit_count]);
}
void register_atexit(const char *who) {
    atexit_names[atexit_count++] = who;
    std::atexit(run_atexit);
}

__attribute__((constructor(150))) static void a_ctor_fn() {
    note('B');
    std::printf("constructor(150) function in a.cpp\n");
}
__attribute__((destructor(150))) static void a_dtor_fn() {
    std::printf("destructor(150) function in a.cpp\n");
}
