#include <stddef.h>
#include <stdio.h>
void *__real_malloc(size_t n);
int __real_compute(int x);
static int calls;
/* No stdio here: in a static link libc's own malloc calls are wrapped too. */
void *__wrap_malloc(size_t n) { calls += n == 16; return __real_malloc(n); }
int __wrap_compute(int x) { calls++; return __real_compute(x) + 1; }
int wrapped_calls(void) { return calls; }
