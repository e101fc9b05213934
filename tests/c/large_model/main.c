/* large_model: -mcmodel=large code: calls through R_X86_64_PLTOFF64 and the
 * GOT base (R_X86_64_GOTPC64), data through GOTOFF64/GOT64, and the large
 * model's TLS general- and local-dynamic sequences (movabs
 * $__tls_get_addr@pltoff), which the linker relaxes in executables. */
#include <stdio.h>
#include <string.h>

extern _Thread_local int counter;           /* other.c: general dynamic */
static _Thread_local int local_tls = 7;     /* local dynamic */
static _Thread_local int local_tls2;
extern int shared_table[4];
extern char big_buffer[1 << 20];
int bump(int by);
static int (*fp)(int) = bump;

static int twice(int x) { return 2 * x; }

int main(void)
{
    local_tls2 = 5;
    counter += 3;
    int r = fp(4);
    memset(big_buffer, 'x', sizeof big_buffer);
    big_buffer[sizeof big_buffer - 1] = 0;
    printf("counter=%d local=%d,%d bump=%d twice=%d table=%d,%d len=%zu\n",
           counter, local_tls, local_tls2, r, twice(21), shared_table[0],
           shared_table[3], strlen(big_buffer));
    return 0;
}
