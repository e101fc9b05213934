// Linked against libshapes.so: uses its classes (also constructed here,
// with the library's vtables), derives from them, catches its exception
// type, reads its data (live_shapes, an inline function's static local)
// and its thread_local from several threads.
#include "shapes.h"

#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace shapes;

// A class in the program derived from the library's base class.
class Triangle : public Shape {
  public:
    Triangle(double b, double h) : b_(b), h_(h) {}
    double area() const override { return b_ * h_ / 2; }
    std::string name() const override { return "triangle"; }

  private:
    double b_, h_;
};

int main() {
    std::printf("main: library global constructor ran: %s\n", global_ready() == 42 ? "yes" : "no");
    std::vector<std::unique_ptr<Shape>> all;
    for (const char *k : {"circle", "rect", "square"})
        all.emplace_back(make(k, 1.5));
    all.emplace_back(new Triangle(3, 4));
    for (const auto &s : all)
        std::printf("%s (Rect? %s)\n", s->describe().c_str(),
                    dynamic_cast<const Rect *>(s.get()) ? "yes" : "no");
    std::printf("typeid of the square: %s\n", typeid(*all[2]).name());

    // Objects of library classes built here: inline constructors store the
    // library's vtable addresses.
    {
        Circle c(2.0);
        Square sq(3.0);
        Rect &r = sq;
        std::printf("local: %s; %s; square is a Rect: %s, live shapes %d\n", c.describe().c_str(),
                    r.describe().c_str(), dynamic_cast<Square *>(&r) ? "yes" : "no", live_shapes);
    }
    std::printf("live shapes after the locals: %d\n", live_shapes);
    ++inline_counter();
    std::printf("inline_counter: %d, one object: %s\n", inline_counter(),
                &inline_counter() == library_inline_counter() ? "yes" : "no");

    int caught = 0;
    for (const char *k : {"hexagon", "circle", "blob"}) {
        try {
            std::unique_ptr<Shape> s(make(k, 2));
            std::printf("made %s\n", s->name().c_str());
        } catch (const ShapeFault &e) {
            std::printf("caught ShapeFault code %d: %s\n", e.code(), e.what());
            ++caught;
        }
    }
    const char *kinds[] = {"rect", "x", "yy", "circle"};
    std::printf("errors counted inside the library: %d\n", shapes_count_errors(kinds, 4));

    // thread_local in the library, read directly (extern thread_local) and
    // through a library function, on four threads.
    // The library's counters (live_shapes, the registry, inline_counter) are
    // plain ints, so the threads take turns making shapes: without the lock
    // they race and the final counts vary from run to run.
    int results[4][2] = {};
    std::mutex counters;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([t, &results, &counters] {
            for (int i = 0; i <= t; ++i) {
                std::lock_guard<std::mutex> lock(counters);
                delete make("square", i);
            }
            results[t][0] = tls_calls;
            results[t][1] = calls_on_this_thread();
        });
    for (auto &t : threads)
        t.join();
    for (int t = 0; t < 4; ++t)
        std::printf("thread %d: tls_calls %d / %d\n", t, results[t][0], results[t][1]);
    std::printf("main thread: tls_calls %d, shapes made %d, version %s\n", tls_calls,
                shapes_made(), shapes_version());
    all.clear();
    std::printf("live shapes %d, inline_counter %d\n", live_shapes, inline_counter());
    return caught;
}
