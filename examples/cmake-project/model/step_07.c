#include "model.h"

/* A mixing step and a weight table entry; module 7. */
static uint64_t rot_07(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_07(uint64_t x)
{
    x ^= x >> 19;
    x *= 2654436440u;
    x = rot_07(x, 22);
    return x + 40594u;
}

double model_weight_07(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 8.0 + 19.0);
    return w;
}
