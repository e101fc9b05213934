#include "model.h"

/* A mixing step and a weight table entry; module 9. */
static uint64_t rot_09(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_09(uint64_t x)
{
    x ^= x >> 2;
    x *= 2654436634u;
    x = rot_09(x, 5);
    return x + 40620u;
}

double model_weight_09(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 10.0 + 2.0);
    return w;
}
