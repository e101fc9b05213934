/* float_printf: printf/snprintf/strtod with floating point (varargs in SSE
 * registers, libc's float formatting), float-to-int conversions, specials. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double third = 1.0 / 3.0;
static volatile float fval = 1.25f;

int main(void)
{
    double vals[] = { 0.0, -0.0, 1.0, -2.5, 3.14159265358979, 1e-10, 6.02214076e23, 123456.789 };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
        printf("%%f=%f %%.3e=%.3e %%g=%g %%a=%a\n", vals[i], vals[i], vals[i], vals[i]);
    printf("third = %.17g, float %f, %8.3f|%-8.2f|%+.1f\n", third, fval, third, third, third);
    printf("specials: %f %f %f\n", INFINITY, -INFINITY, NAN);
    double parsed = strtod("2.5e3xyz", NULL);
    printf("strtod(\"2.5e3xyz\") = %.1f\n", parsed);
    char buf[32];
    snprintf(buf, sizeof buf, "%.10f", third);
    printf("snprintf: %s\n", buf);
    printf("(int)7.99 = %d, (long)-7.99 = %ld, (unsigned)3.5f = %u\n", (int)(third * 23.97),
           (long)(-third * 23.97), (unsigned)(fval * 2.8f));
    return 0;
}
