#include <math.h>
#include "shapes.h"

/* Heron's formula. */
static double area(const double *d) {
    double s = (d[0] + d[1] + d[2]) / 2;
    return sqrt(s * (s - d[0]) * (s - d[1]) * (s - d[2]));
}
static double perimeter(const double *d) { return d[0] + d[1] + d[2]; }

const Shape triangle = {"triangle", area, perimeter, 3};
