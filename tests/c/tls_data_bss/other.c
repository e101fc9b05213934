#include <stdint.h>

static __thread int other_tdata = 99;
static __thread int other_tbss;
static __thread char other_aligned[3] __attribute__((aligned(32))) = {1, 2, 3};

int other_get_tdata(void) { return other_tdata + other_aligned[2]; }
int other_get_tbss(void) { return other_tbss; }
void other_set(int d, int b) { other_tdata += d; other_tbss += b; }
int other_aligned_ok(void) { return ((uintptr_t)other_aligned % 32) == 0; }
