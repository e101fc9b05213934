long double ld_scale(long double x, int k)
{
    while (k-- > 0)
        x *= 10.0L;
    return x;
}
