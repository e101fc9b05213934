#include "model.h"

uint64_t model_run(uint64_t seed, int rounds)
{
    uint64_t x = seed;
    for (int r = 0; r < rounds; r++) {
        x = model_step_00(x);
        x = model_step_01(x);
        x = model_step_02(x);
        x = model_step_03(x);
        x = model_step_04(x);
        x = model_step_05(x);
        x = model_step_06(x);
        x = model_step_07(x);
        x = model_step_08(x);
        x = model_step_09(x);
        x = model_step_10(x);
        x = model_step_11(x);
        x = model_step_12(x);
        x = model_step_13(x);
        x = model_step_14(x);
        x = model_step_15(x);
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
    t += model_weight_04(n);
    t += model_weight_05(n);
    t += model_weight_06(n);
    t += model_weight_07(n);
    t += model_weight_08(n);
    t += model_weight_09(n);
    t += model_weight_10(n);
    t += model_weight_11(n);
    t += model_weight_12(n);
    t += model_weight_13(n);
    t += model_weight_14(n);
    t += model_weight_15(n);
    return t;
}
