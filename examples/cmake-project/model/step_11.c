#include "model.h"

/* A mixing step and a weight table entry; module 11. */
static uint64_t rot_11(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_11(uint64_t x)
{
    x ^= x >> 16;
    x *= 2654436828u;
    x = rot_11(x, 19);
    return x + 40646u;
}

double model_weight_11(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 12.0 + 16.0);
    return w;
}
