/* The shell example: a few shapes and a report. */
#ifndef SHAPES_H
#define SHAPES_H

typedef struct {
    const char *name;
    double (*area)(const double *dims);
    double (*perimeter)(const double *dims);
    int ndims;
} Shape;

extern const Shape circle, rectangle, triangle;
const Shape *shape_by_name(const char *name);
void report_line(const Shape *s, const double *dims);
int report_count(void);
#endif
