#include "model.h"

/* A mixing step and a weight table entry; module 15. */
static uint64_t rot_15(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_15(uint64_t x)
{
    x ^= x >> 13;
    x *= 2654437216u;
    x = rot_15(x, 16);
    return x + 40698u;
}

double model_weight_15(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 16.0 + 13.0);
    return w;
}
