/* C declarations for libcabi.so (examples/rust-workspace/cabi/src/lib.rs). */
#ifndef CABI_H
#define CABI_H

#include <stddef.h>
#include <stdint.h>

/* A pointer to a NUL-terminated static string ("cabi 0.1.0"). */
extern const char *const CABI_VERSION;

int32_t cabi_add(int32_t a, int32_t b);
int64_t cabi_sum(const int64_t *values, size_t len);
uint32_t cabi_crc32(const uint8_t *data, size_t len);
double cabi_json_sum(const char *json);          /* -1 on a parse error */
char *cabi_greet(const char *name);              /* free with cabi_free_string */
void cabi_free_string(char *s);
uint32_t cabi_thread_counter(void);              /* 1, 2, 3, ... per thread */
int32_t cabi_checked_div(int32_t divisor);       /* -1 when divisor == 0 */
uint64_t cabi_calls(void);

#endif
