/* debug_g: compiled with -g -O0; besides running like every program, it is
 * the input of ld-core/tests/debug_info.rs (addr2line and gdb on the output).
 * Keep the markers: debug_info.rs finds its line numbers through them. */
#include <stdio.h>

int compute_checksum(const char *s, int len);

int main(void) { /* MAIN_START */
    const char *msg = "debug info test";
    int sum = compute_checksum(msg, 15);
    printf("checksum = %d\n", sum);
    return sum % 100;
}
