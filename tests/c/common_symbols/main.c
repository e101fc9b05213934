/* common_symbols: -fcommon tentative definitions in several objects merge into
 * one symbol with the largest size and alignment; an initialised definition
 * beats the commons. */
#include <stdint.h>
#include <stdio.h>

int counter;
double dval;
extern int init_in_b;
extern int after_guard;
extern long big_align_common;
extern char buffer[];

void a_fill(void);
void b_fill(void);
int b_check(void);

int main(void)
{
    after_guard = 0x5a5a5a5a;
    dval = 1.5;
    big_align_common = 9;
    a_fill();
    b_fill();
    printf("counter = %d\n", counter);
    printf("init_in_b = %d\n", init_in_b);
    printf("buffer intact (16 'a' + 48 'b'): %s\n", b_check() ? "yes" : "no");
    printf("buffer[63] = %c\n", buffer[63]);
    printf("neighbours untouched: %s\n",
           after_guard == 0x5a5a5a5a && dval == 1.5 && big_align_common == 9 && init_in_b == 77
               ? "yes" : "no");
    printf("big_align_common 64-byte aligned: %s\n",
           ((uintptr_t)&big_align_common % 64) == 0 ? "yes" : "no");
    return 0;
}
