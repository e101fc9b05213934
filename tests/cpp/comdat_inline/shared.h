// Inline functions, templates and inline variables used from several
// translation units. Each TU gets its own copy in a COMDAT group; the
// linker must keep exactly one, so static locals, template static members
// and function addresses are the same object everywhere.
#pragma once
#include <string>

inline int &hit_counter() {
    static int count = 0;
    return count;
}

inline int bump(int by) { return hit_counter() += by; }

template <class T> struct Registry {
    static int instances; // template static data member: COMDAT data
    static const char *tag() { return "registry"; }
    Registry() { ++instances; }
};
template <class T> int Registry<T>::instances = 0;

template <class T> T twice(T v) { return v + v; }

template <class T> std::string describe(T v) {
    static int calls = 0; // one per instantiation, shared across TUs
    ++calls;
    return std::to_string(v) + "#" + std::to_string(calls);
}

inline int shared_inline_var = 5; // C++17 inline variable

// A class template with virtual functions: vtable and typeinfo in COMDAT.
template <class T> struct Shape {
    virtual ~Shape() {}
    virtual T area() const { return T(0); }
};
template <class T> struct Square : Shape<T> {
    T side;
    explicit Square(T s) : side(s) {}
    T area() const override { return side * side; }
};

struct Addrs {
    const void *counter;
    const void *twice_int;
    const void *twice_double;
    const void *bump_fn;
    const void *inline_var;
    const void *registry_int;
    const void *square_vtable_obj; // the vptr of a Square<int>
};

Addrs addrs_a();
Addrs addrs_b();
Addrs addrs_c();
int work_a();
int work_b();
int work_c();
