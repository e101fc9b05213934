#include "model.h"

/* A mixing step and a weight table entry; module 12. */
static uint64_t rot_12(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_12(uint64_t x)
{
    x ^= x >> 23;
    x *= 2654436925u;
    x = rot_12(x, 26);
    return x + 40659u;
}

double model_weight_12(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 13.0 + 23.0);
    return w;
}
