#include "model.h"

/* A mixing step and a weight table entry; module 1. */
static uint64_t rot_01(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_01(uint64_t x)
{
    x ^= x >> 8;
    x *= 2654435858u;
    x = rot_01(x, 11);
    return x + 40516u;
}

double model_weight_01(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 2.0 + 8.0);
    return w;
}
