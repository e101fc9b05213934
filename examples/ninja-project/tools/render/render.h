#ifndef RENDER_H
#define RENDER_H
#include <stdint.h>
uint64_t render_part_1(uint64_t x);
uint64_t render_part_2(uint64_t x);
#endif
