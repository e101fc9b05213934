#include "shapes.h"

#include <cstdio>

namespace shapes {

thread_local int tls_calls = 0;

namespace {
struct Registry {
    Registry() : made(0) {}
    int made;
};
Registry &registry() {
    static Registry r; // function-local static, constructed on first use
    return r;
}

struct Announcer {
    int ready = 0;
    Announcer() {
        ready = 42;
        std::printf("libshapes: global constructor\n");
    }
    ~Announcer() { std::printf("libshapes: global destructor\n"); }
};
Announcer announcer;
} // namespace

Shape *make(const std::string &kind, double size) {
    ++tls_calls;
    Shape *s = nullptr;
    if (kind == "circle")
        s = new Circle(size);
    else if (kind == "rect")
        s = new Rect(size, 2 * size);
    else if (kind == "square")
        s = new Square(size);
    else
        throw ShapeFault("unknown shape kind '" + kind + "'", static_cast<int>(kind.size()));
    ++registry().made;
    ++inline_counter();
    return s;
}

int shapes_made() { return registry().made; }
int calls_on_this_thread() { return tls_calls; }
int global_ready() { return announcer.ready; }
int *library_inline_counter() { return &inline_counter(); }

} // namespace shapes
