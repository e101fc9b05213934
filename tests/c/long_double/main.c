/* long_double: x87 80-bit long double arithmetic, conversions, printf %Lf,
 * strtold and libm's long double functions. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

long double ld_scale(long double x, int k);

static volatile long double one = 1.0L, three = 3.0L, tiny = 1e-17L;

int main(void)
{
    long double third = one / three;
    printf("sizeof(long double) = %zu, LDBL_MANT_DIG = %d\n", sizeof(long double), LDBL_MANT_DIG);
    printf("1/3 = %.20Lf\n", third);
    printf("1 + 1e-17 != 1: %s (a double would say no)\n", one + tiny != one ? "yes" : "no");
    printf("sqrtl(2) = %.19Lf\n", sqrtl(2.0L * one));
    printf("expl(1) = %.19Lf\n", expl(one));
    printf("ld_scale(1/3, 10) = %.15Le\n", ld_scale(third, 10));
    long double parsed = strtold("1.234567890123456789", NULL);
    printf("strtold = %.18Lf\n", parsed);
    printf("(long)(1e18L + 7) = %ld\n", (long)(1e18L * one + 7.0L));
    printf("(double)1/3 = %.17g\n", (double)third);
    return 0;
}
