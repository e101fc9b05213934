/* The model library: small numeric modules. */
#ifndef MODEL_H
#define MODEL_H
#include <stdint.h>

uint64_t model_step_00(uint64_t x);
double model_weight_00(int n);
uint64_t model_step_01(uint64_t x);
double model_weight_01(int n);
uint64_t model_step_02(uint64_t x);
double model_weight_02(int n);
uint64_t model_step_03(uint64_t x);
double model_weight_03(int n);
uint64_t model_run(uint64_t seed, int rounds);
double model_total_weight(int n);

#endif
