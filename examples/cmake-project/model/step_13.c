#include "model.h"

/* A mixing step and a weight table entry; module 13. */
static uint64_t rot_13(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_13(uint64_t x)
{
    x ^= x >> 30;
    x *= 2654437022u;
    x = rot_13(x, 4);
    return x + 40672u;
}

double model_weight_13(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 14.0 + 30.0);
    return w;
}
