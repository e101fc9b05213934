// Loads libshapes.so.1 with dlopen (found through this program's
// DT_RUNPATH $ORIGIN), calls its extern "C" factory through dlsym, uses the
// objects through their vtables, catches an exception thrown inside the
// library, and unloads it with dlclose.
#include "shapes.h"

#include <cstdio>
#include <dlfcn.h>

int main() {
    std::printf("before dlopen\n");
    std::fflush(stdout);
    void *h = dlopen("libshapes.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        std::printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    std::printf("after dlopen\n");
    using Create = shapes::Shape *(*)(const char *, double);
    using Destroy = void (*)(shapes::Shape *);
    using Version = const char *(*)();
    auto create = reinterpret_cast<Create>(dlsym(h, "shapes_create"));
    auto destroy = reinterpret_cast<Destroy>(dlsym(h, "shapes_destroy"));
    auto version = reinterpret_cast<Version>(dlsym(h, "shapes_version"));
    void *missing = dlsym(h, "shapes_no_such_symbol");
    if (!create || !destroy || !version) {
        std::printf("dlsym failed\n");
        return 1;
    }
    std::printf("%s, missing symbol %s\n", version(), missing ? "found?!" : "not found");
    for (const char *k : {"square", "circle", "rect", "pentagon"}) {
        try {
            shapes::Shape *s = create(k, 2.0);
            std::printf("%s: area %.3f\n", s->name().c_str(), s->area()); // virtual calls
            destroy(s);
        } catch (const std::runtime_error &e) { // ShapeFault's base, from libstdc++
            std::printf("caught from the library: %s\n", e.what());
        }
    }
    int rc = dlclose(h);
    std::printf("dlclose returned %d\n", rc);
    return 0;
}
