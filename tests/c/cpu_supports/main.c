/* cpu_supports: __builtin_cpu_init/__builtin_cpu_supports read libgcc's
 * __cpu_model (a hidden symbol from libgcc.a). Only x86-64 baseline
 * features are printed so the output is the same on every machine. */
#include <stdio.h>

int feature_count_other(void);

int main(void)
{
    __builtin_cpu_init();
    printf("sse: %s\n", __builtin_cpu_supports("sse") ? "yes" : "no");
    printf("sse2: %s\n", __builtin_cpu_supports("sse2") ? "yes" : "no");
    printf("mmx: %s\n", __builtin_cpu_supports("mmx") ? "yes" : "no");
    printf("cmov: %s\n", __builtin_cpu_supports("cmov") ? "yes" : "no");
    printf("other object agrees: %s\n", feature_count_other() == 4 ? "yes" : "no");
    return 0;
}
