#include "model.h"

uint64_t model_run(uint64_t seed, int rounds)
{
    uint64_t x = seed;
    for (int r = 0; r < rounds; r++) {
        x = model_step_00(x);
        x = model_step_01(x);
        x = model_step_02(x);
        x = model_step_03(x);
    }
    return x;
}

double model_total_weight(int n)
{
    double t = 0.0;
    t += model_weight_00(n);
    t += model_weight_01(n);
    t += model_weight_02(n);
    t += model_weight_03(n);
    return t;
}
