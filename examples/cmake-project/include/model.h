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
uint64_t model_step_04(uint64_t x);
double model_weight_04(int n);
uint64_t model_step_05(uint64_t x);
double model_weight_05(int n);
uint64_t model_step_06(uint64_t x);
double model_weight_06(int n);
uint64_t model_step_07(uint64_t x);
double model_weight_07(int n);
uint64_t model_step_08(uint64_t x);
double model_weight_08(int n);
uint64_t model_step_09(uint64_t x);
double model_weight_09(int n);
uint64_t model_step_10(uint64_t x);
double model_weight_10(int n);
uint64_t model_step_11(uint64_t x);
double model_weight_11(int n);
uint64_t model_step_12(uint64_t x);
double model_weight_12(int n);
uint64_t model_step_13(uint64_t x);
double model_weight_13(int n);
uint64_t model_step_14(uint64_t x);
double model_weight_14(int n);
uint64_t model_step_15(uint64_t x);
double model_weight_15(int n);
uint64_t model_run(uint64_t seed, int rounds);
double model_total_weight(int n);

#endif
