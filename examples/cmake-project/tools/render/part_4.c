#include "model.h"
#include "render.h"

uint64_t render_part_4(uint64_t x)
{
    return model_run(x + 4, 9);
}
