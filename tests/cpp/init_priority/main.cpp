#include "trace.h"

#include <cstring>

Tracer main_default("main.default", 'H');

int main() {
    std::printf("main starts, order %.*s\n", order_len, order_log);
    register_atexit("from main");
    lazy_tracer();
    std::printf("order %.*s\n", order_len, order_log);
    register_atexit("from main after lazy");
    bool ok = std::strcmp(order_log, "ABCDEFGHL") == 0;
    std::printf("order %s\n", ok ? "ok" : "WRONG");
    std::fflush(stdout);
    return ok ? 7 : 1;
}
