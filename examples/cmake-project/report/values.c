#include <inttypes.h>
#include <stdio.h>
#include "report.h"
#include "state.h"

void report_u64(const char *key, uint64_t v)
{
    printf("%-12s %016" PRIx64 "\n", key, v);
    report_count++;
}

void report_f64(const char *key, double v)
{
    printf("%-12s %.6f\n", key, v);
    report_count++;
}
