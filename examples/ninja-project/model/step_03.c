#include "model.h"

/* A mixing step and a weight table entry; module 3. */
static uint64_t rot_03(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_03(uint64_t x)
{
    x ^= x >> 22;
    x *= 2654436052u;
    x = rot_03(x, 25);
    return x + 40542u;
}

double model_weight_03(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 4.0 + 22.0);
    return w;
}
