/* A pointer at an odd address: its relative relocation cannot be packed
 * into .relr.dyn and must stay in .rela.dyn. */
#include <stddef.h>
int unaligned_target = 1234;
struct __attribute__((packed)) odd {
    char pad;
    int *p;
} odd_ptr = {'x', &unaligned_target};
int read_unaligned(void) { return *odd_ptr.p; }
