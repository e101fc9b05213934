#include "model.h"

/* A mixing step and a weight table entry; module 4. */
static uint64_t rot_04(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_04(uint64_t x)
{
    x ^= x >> 29;
    x *= 2654436149u;
    x = rot_04(x, 3);
    return x + 40555u;
}

double model_weight_04(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 5.0 + 29.0);
    return w;
}
