/* big_bss_data: a 64 MiB .bss array (first and last pages touched, must read
 * as zero), a 4 MiB initialised .data array with non-zero bytes at both ends,
 * page-aligned bss/data, and another object's bss placed after them. */
#include <stdint.h>
#include <stdio.h>

#define BIG_BSS (64u << 20)
#define BIG_DATA (4u << 20)

static char big_bss[BIG_BSS];
char big_data[BIG_DATA] = { [0] = 1, [BIG_DATA / 2] = 3, [BIG_DATA - 1] = 2 };
static char page_aligned_bss[4096] __attribute__((aligned(4096)));
static int page_aligned_data[4] __attribute__((aligned(4096))) = { 9, 8, 7, 6 };

extern long other_bss[1024];
long other_sum(void);

int main(void)
{
    int zero = big_bss[0] == 0 && big_bss[BIG_BSS - 1] == 0 && big_bss[BIG_BSS / 2] == 0;
    for (unsigned i = 0; i < 4096; i++) {
        zero &= big_bss[i] == 0 && big_bss[BIG_BSS - 1 - i] == 0;
        zero &= page_aligned_bss[i] == 0;
    }
    printf("bss initially zero: %s\n", zero ? "yes" : "no");
    for (unsigned i = 0; i < 4096; i++) {
        big_bss[i] = (char)i;
        big_bss[BIG_BSS - 4096 + i] = (char)(i * 3);
    }
    long s = 0;
    for (unsigned i = 0; i < 4096; i++)
        s += big_bss[i] + big_bss[BIG_BSS - 4096 + i];
    printf("bss checksum: %ld\n", s);
    printf("data ends: %d %d %d, middle neighbours %d %d\n", big_data[0], big_data[BIG_DATA / 2],
           big_data[BIG_DATA - 1], big_data[BIG_DATA / 2 - 1], big_data[BIG_DATA / 2 + 1]);
    long dsum = 0;
    for (unsigned i = 0; i < BIG_DATA; i += 512)
        dsum += big_data[i];
    printf("data sample sum: %ld\n", dsum);
    printf("alignment: bss %s, data %s\n",
           ((uintptr_t)page_aligned_bss & 4095) == 0 ? "ok" : "bad",
           ((uintptr_t)page_aligned_data & 4095) == 0 ? "ok" : "bad");
    printf("page aligned data: %d %d %d %d\n", page_aligned_data[0], page_aligned_data[1],
           page_aligned_data[2], page_aligned_data[3]);
    other_bss[1023] = 5;
    printf("other object's bss sum: %ld\n", other_sum());
    return 0;
}
