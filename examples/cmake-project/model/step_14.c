#include "model.h"

/* A mixing step and a weight table entry; module 14. */
static uint64_t rot_14(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_14(uint64_t x)
{
    x ^= x >> 6;
    x *= 2654437119u;
    x = rot_14(x, 9);
    return x + 40685u;
}

double model_weight_14(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 15.0 + 6.0);
    return w;
}
