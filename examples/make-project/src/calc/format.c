#include <stdio.h>
#include "../common.h"

const char *const calc_version = "1.0";

const char *format_number(double x, char *buf, size_t size) {
    snprintf(buf, size, "%.4g", x);
    return buf;
}
