#include "shared.h"

#include <cstring>

Addrs addrs_a() {
    Square<int> sq(2);
    Addrs r;
    r.counter = &hit_counter();
    r.twice_int = reinterpret_cast<const void *>(&twice<int>);
    r.twice_double = reinterpret_cast<const void *>(&twice<double>);
    r.bump_fn = reinterpret_cast<const void *>(&bump);
    r.inline_var = &shared_inline_var;
    r.registry_int = &Registry<int>::instances;
    const void *vptr;
    std::memcpy(&vptr, static_cast<const void *>(&sq), sizeof vptr);
    r.square_vtable_obj = vptr;
    return r;
}

int work_a() {
    Registry<int> r1;
    Registry<long> r2;
    (void)r1;
    (void)r2;
    shared_inline_var += 1;
    Square<int> sq(1);
    Shape<int> &s = sq;
    bump(1);
    return twice<int>(1) + s.area() + static_cast<int>(describe<int>(1).size());
}
