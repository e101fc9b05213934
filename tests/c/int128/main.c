/* int128: __int128 arithmetic whose division, modulo and conversions are
 * libgcc calls (__divti3, __modti3, __udivti3, __umodti3, __floattidf,
 * __fixdfti), printed with an own conversion routine. */
#include <stdio.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

static void to_str(u128 v, char *out)
{
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

static void print_i128(const char *label, i128 v)
{
    char buf[48];
    if (v < 0) {
        to_str(-(u128)v, buf);
        printf("%s = -%s\n", label, buf);
    } else {
        to_str((u128)v, buf);
        printf("%s = %s\n", label, buf);
    }
}

static volatile long long seven = 7, minus_three = -3;
static volatile double dbl = 1e30;

int main(void)
{
    i128 big = (i128)1 << 100;
    i128 d = seven;
    print_i128("2^100", big);
    print_i128("2^100 / 7", big / d);
    print_i128("2^100 % 7", big % d);
    print_i128("-2^100 / -3", -big / (i128)minus_three);
    print_i128("-2^100 % -3", -big % (i128)minus_three);
    u128 umax = ~(u128)0;
    char buf[48];
    to_str(umax / (u128)seven, buf);
    printf("u128 max / 7 = %s\n", buf);
    to_str(umax % (u128)1000000007, buf);
    printf("u128 max %% 1000000007 = %s\n", buf);
    i128 prod;
    int overflow = __builtin_mul_overflow(big, (i128)seven * 1000000, &prod);
    printf("2^100 * 7e6 overflows: %s\n", overflow ? "yes" : "no");
    printf("(double)2^100 = %.6e\n", (double)big);
    print_i128("(i128)1e30", (i128)dbl);
    return (int)(big % d);
}
