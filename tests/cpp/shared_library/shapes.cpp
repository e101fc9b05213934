#include "shapes.h"

#include <cstdio>

namespace shapes {

int live_shapes = 0;
Shape::Shape() { ++live_shapes; }
Shape::~Shape() { --live_shapes; }
std::string Shape::describe() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s with area %.2f", name().c_str(), area());
    return buf;
}

Circle::~Circle() = default;
double Circle::area() const { return 3.14159265358979 * r_ * r_; }
std::string Circle::name() const { return "circle"; }

Rect::~Rect() = default;
double Rect::area() const { return w_ * h_; }
std::string Rect::name() const { return "rect"; }

Square::~Square() = default;
std::string Square::name() const { return "square"; }

ShapeFault::~ShapeFault() = default;

} // namespace shapes

extern "C" {

shapes::Shape *shapes_create(const char *kind, double size) { return shapes::make(kind, size); }

void shapes_destroy(shapes::Shape *s) { delete s; }

int shapes_count_errors(const char *const *kinds, int n) {
    int errors = 0;
    for (int i = 0; i < n; ++i) {
        try {
            delete shapes::make(kinds[i], 1.0);
        } catch (const shapes::ShapeFault &e) {
            errors += e.code();
        }
    }
    return errors;
}

const char *shapes_version() { return "libshapes 1.0"; }
}
