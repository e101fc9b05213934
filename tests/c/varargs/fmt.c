#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* A tiny vsnprintf: %d %ld %s %c %f (2 decimals) %%. */
int my_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t n = 0;
#define PUT(ch) do { char c_ = (ch); if (n + 1 < size) buf[n] = c_; n++; } while (0)
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            PUT(*p);
            continue;
        }
        p++;
        char tmp[64];
        const char *s = tmp;
        switch (*p) {
        case 'd': snprintf(tmp, sizeof tmp, "%d", va_arg(ap, int)); break;
        case 'l': p++; snprintf(tmp, sizeof tmp, "%ld", va_arg(ap, long)); break;
        case 's': s = va_arg(ap, const char *); break;
        case 'c': tmp[0] = (char)va_arg(ap, int); tmp[1] = 0; break;
        case 'f': snprintf(tmp, sizeof tmp, "%.2f", va_arg(ap, double)); break;
        default: tmp[0] = '%'; tmp[1] = 0; break;
        }
        while (*s)
            PUT(*s++);
    }
    if (size)
        buf[n < size ? n : size - 1] = 0;
    return (int)n;
#undef PUT
}

int my_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = my_vformat(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

long sum_longs(int count, ...)
{
    va_list ap, copy;
    va_start(ap, count);
    va_copy(copy, ap);
    long s = 0;
    for (int i = 0; i < count; i++)
        s += va_arg(ap, long);
    /* va_copy: walk the same arguments again */
    for (int i = 0; i < count; i++)
        s += va_arg(copy, long);
    va_end(copy);
    va_end(ap);
    return s;
}

double average(int count, ...)
{
    va_list ap;
    va_start(ap, count);
    double s = 0;
    for (int i = 0; i < count; i++)
        s += va_arg(ap, double);
    va_end(ap);
    return s / count;
}
