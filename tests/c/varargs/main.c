/* varargs: variadic functions in another object: an own vprintf-like
 * formatter taking va_list, va_copy, doubles passed in SSE registers and on
 * the stack, and libc's vsnprintf through a wrapper. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

int my_format(char *buf, size_t size, const char *fmt, ...);
long sum_longs(int count, ...);
double average(int count, ...);

static int wrap_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

int main(void)
{
    char buf[128];
    int n = my_format(buf, sizeof buf, "int %d, long %ld, str %s, char %c, dbl %f, pct %%",
                      -17, 1234567890123L, "hello", 'Q', 2.71828);
    printf("[%s] (%d chars)\n", buf, n);
    n = my_format(buf, 10, "truncated %s", "output here");
    printf("[%s] (%d chars wanted)\n", buf, n);
    printf("sum_longs = %ld\n", sum_longs(10, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L));
    printf("average = %.4f\n", average(10, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.5));
    wrap_vsnprintf(buf, sizeof buf, "%s-%05d-%x-%.3e", "vsnprintf", 42, 255, 12345.678);
    printf("[%s]\n", buf);
    return 0;
}
