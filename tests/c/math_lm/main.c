/* math_lm: libm functions (-lm); inputs are volatile so nothing is folded at
 * compile time. */
#include <math.h>
#include <stdio.h>

static volatile double half = 0.5, two = 2.0, ten = 10.0, e1 = 1.0, big = 1e10;
static volatile double y = 3.0, x = -4.0, m = 7.5, f = 2.0;

int main(void)
{
    printf("sin(0.5)        = %.9f\n", sin(half));
    printf("cos(0.5)        = %.9f\n", cos(half));
    printf("tan(0.5)        = %.9f\n", tan(half));
    printf("pow(2, 10.5)    = %.6f\n", pow(two, ten + half));
    printf("sqrt(2)         = %.12f\n", sqrt(two));
    printf("exp(1)          = %.12f\n", exp(e1));
    printf("log(10)         = %.12f\n", log(ten));
    printf("log10(1e10)     = %.6f\n", log10(big));
    printf("atan2(3, -4)    = %.9f\n", atan2(y, x));
    printf("hypot(3, -4)    = %.3f\n", hypot(y, x));
    printf("fmod(7.5, 2)    = %.3f\n", fmod(m, f));
    printf("floor/ceil(-7.5)= %.1f %.1f\n", floor(-m), ceil(-m));
    printf("lround(7.5)     = %ld\n", lround(m));
    printf("cbrt(-27)       = %.6f\n", cbrt(y * y * x + y * y));
    printf("sinf(0.5f)      = %.6f\n", (double)sinf((float)half));
    return (int)sqrt(y * y * 7.0 + 1.0);
}
