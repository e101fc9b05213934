#include "trace.h"

Tracer b_default("b.default", 'G');
Tracer b_mid __attribute__((init_priority(2000))) ("b.2000", 'C');
Tracer b_late __attribute__((init_priority(3000))) ("b.3000", 'E');

Tracer &lazy_tracer() {
    static Tracer t("b.lazy", 'L');
    return t;
}

struct Registers {
    Registers() { register_atexit("from b.default ctor"); }
} b_registers;
