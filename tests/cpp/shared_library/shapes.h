// Interface of libshapes.so (built from shapes.cpp and registry.cpp).
#pragma once
#include <stdexcept>
#include <string>

namespace shapes {

// Number of live Shape objects: a plain global defined in the library.
// The programs read it directly (in a PIE: a copy relocation), the library
// through its GOT; both must see the same object.
extern int live_shapes;

// An inline function with a static local, used by the library and by
// use_shapes: one object in the process (the program's copy wins).
inline int &inline_counter() {
    static int n = 0;
    return n;
}
int *library_inline_counter(); // &inline_counter() as the library sees it

class Shape {
  public:
    Shape();
    virtual ~Shape();
    virtual double area() const = 0;
    virtual std::string name() const = 0;
    std::string describe() const; // calls the virtual functions
};

class Circle : public Shape {
  public:
    explicit Circle(double r) : r_(r) {}
    ~Circle() override;
    double area() const override;
    std::string name() const override;

  private:
    double r_;
};

class Rect : public Shape {
  public:
    Rect(double w, double h) : w_(w), h_(h) {}
    ~Rect() override;
    double area() const override;
    std::string name() const override;

  protected:
    double w_, h_;
};

class Square final : public Rect {
  public:
    explicit Square(double s) : Rect(s, s) {}
    ~Square() override;
    std::string name() const override;
};

// Thrown by the library, caught by the programs.
class ShapeFault : public std::runtime_error {
  public:
    ShapeFault(const std::string &what, int code) : std::runtime_error(what), code_(code) {}
    ~ShapeFault() override;
    int code() const { return code_; }

  private:
    int code_;
};

Shape *make(const std::string &kind, double size); // throws ShapeFault
int shapes_made();                  // a function-local static counter (registry.cpp)
int calls_on_this_thread();         // reads the thread_local counter
extern thread_local int tls_calls;  // incremented by make() on the calling thread
int global_ready();                 // set by the library's global constructor

} // namespace shapes

// The C interface, for dlopen + dlsym.
extern "C" {
shapes::Shape *shapes_create(const char *kind, double size); // throws on bad kind
void shapes_destroy(shapes::Shape *s);
int shapes_count_errors(const char *const *kinds, int n); // throws and catches inside
const char *shapes_version();
}
