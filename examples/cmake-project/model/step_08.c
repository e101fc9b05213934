#include "model.h"

/* A mixing step and a weight table entry; module 8. */
static uint64_t rot_08(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_08(uint64_t x)
{
    x ^= x >> 26;
    x *= 2654436537u;
    x = rot_08(x, 29);
    return x + 40607u;
}

double model_weight_08(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 9.0 + 26.0);
    return w;
}
