/* The report library (shared): formatting of results. */
#ifndef REPORT_H
#define REPORT_H
#include <stdint.h>

void report_title(const char *name);
void report_u64(const char *key, uint64_t v);
void report_f64(const char *key, double v);
int report_lines(void);

#endif
