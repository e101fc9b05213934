#include "model.h"

/* A mixing step and a weight table entry; module 5. */
static uint64_t rot_05(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_05(uint64_t x)
{
    x ^= x >> 5;
    x *= 2654436246u;
    x = rot_05(x, 8);
    return x + 40568u;
}

double model_weight_05(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 6.0 + 5.0);
    return w;
}
