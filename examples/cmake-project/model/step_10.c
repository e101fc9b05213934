#include "model.h"

/* A mixing step and a weight table entry; module 10. */
static uint64_t rot_10(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_10(uint64_t x)
{
    x ^= x >> 9;
    x *= 2654436731u;
    x = rot_10(x, 12);
    return x + 40633u;
}

double model_weight_10(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 11.0 + 9.0);
    return w;
}
