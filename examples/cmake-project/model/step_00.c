#include "model.h"

/* A mixing step and a weight table entry; module 0. */
static uint64_t rot_00(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_00(uint64_t x)
{
    x ^= x >> 1;
    x *= 2654435761u;
    x = rot_00(x, 4);
    return x + 40503u;
}

double model_weight_00(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 1.0 + 1.0);
    return w;
}
