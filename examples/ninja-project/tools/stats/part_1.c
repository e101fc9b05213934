#include "model.h"
#include "stats.h"

uint64_t stats_part_1(uint64_t x)
{
    return model_run(x + 1, 4);
}
