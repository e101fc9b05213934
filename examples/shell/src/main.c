#include <stdio.h>
#include "shapes.h"

int main(void) {
    static const struct {
        const char *shape;
        double dims[3];
    } items[] = {
        {"circle", {1.5}},
        {"rectangle", {2, 3.5}},
        {"triangle", {3, 4, 5}},
        {"circle", {0.5}},
    };
    for (unsigned i = 0; i < sizeof items / sizeof *items; i++) {
        const Shape *s = shape_by_name(items[i].shape);
        if (s)
            report_line(s, items[i].dims);
    }
    printf("%d shapes\n", report_count());
    return 0;
}
