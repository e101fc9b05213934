#ifndef STATS_H
#define STATS_H
#include <stdint.h>
uint64_t stats_part_1(uint64_t x);
uint64_t stats_part_2(uint64_t x);
uint64_t stats_part_3(uint64_t x);
#endif
