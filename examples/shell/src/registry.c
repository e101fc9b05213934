#include <string.h>
#include "shapes.h"

static const Shape *const all[] = {&circle, &rectangle, &triangle};

const Shape *shape_by_name(const char *name) {
    for (unsigned i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return 0;
}
