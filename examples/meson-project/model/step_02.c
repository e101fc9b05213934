#include "model.h"

/* A mixing step and a weight table entry; module 2. */
static uint64_t rot_02(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_02(uint64_t x)
{
    x ^= x >> 15;
    x *= 2654435955u;
    x = rot_02(x, 18);
    return x + 40529u;
}

double model_weight_02(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 3.0 + 15.0);
    return w;
}
