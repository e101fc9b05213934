#include "model.h"

/* A mixing step and a weight table entry; module 6. */
static uint64_t rot_06(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

uint64_t model_step_06(uint64_t x)
{
    x ^= x >> 12;
    x *= 2654436343u;
    x = rot_06(x, 15);
    return x + 40581u;
}

double model_weight_06(int n)
{
    double w = 0.0;
    for (int k = 1; k <= n; k++)
        w += 1.0 / (k * 7.0 + 12.0);
    return w;
}
