#include "shared.h"

#include <cstdio>

static int failures = 0;
static void check(bool ok, const char *what) {
    if (!ok)
        ++failures;
    std::printf("%s: %s\n", ok ? "ok" : "FAIL", what);
}

int main() {
    int wa = work_a(), wb = work_b(), wc = work_c();
    std::printf("work: %d %d %d\n", wa, wb, wc);
    bump(1000);
    std::printf("hit_counter = %d (expect 1111)\n", hit_counter());
    std::printf("shared_inline_var = %d (expect 116)\n", shared_inline_var);
    std::printf("Registry<int>::instances = %d, Registry<long>::instances = %d (expect 3, 3)\n",
                Registry<int>::instances, Registry<long>::instances);
    std::printf("describe<int>(7) = %s (4th call of this instantiation)\n",
                describe<int>(7).c_str());
    std::printf("describe<long>(7) = %s (1st call of this instantiation)\n",
                describe<long>(7L).c_str());

    Addrs a = addrs_a(), b = addrs_b(), c = addrs_c();
    Square<int> local(1);
    const void *main_vptr = *reinterpret_cast<const void *const *>(&local);
    check(a.counter == b.counter && b.counter == c.counter && a.counter == &hit_counter(),
          "static local of an inline function is one object");
    check(a.twice_int == b.twice_int && b.twice_int == c.twice_int &&
              a.twice_int == reinterpret_cast<const void *>(&twice<int>),
          "twice<int> has one address");
    check(a.twice_double == b.twice_double && b.twice_double == c.twice_double,
          "twice<double> has one address");
    check(a.twice_int != a.twice_double, "twice<int> != twice<double>");
    check(a.bump_fn == b.bump_fn && b.bump_fn == c.bump_fn &&
              a.bump_fn == reinterpret_cast<const void *>(&bump),
          "inline bump() has one address");
    check(a.inline_var == b.inline_var && b.inline_var == c.inline_var &&
              a.inline_var == &shared_inline_var,
          "inline variable is one object");
    check(a.registry_int == b.registry_int && b.registry_int == c.registry_int &&
              a.registry_int == &Registry<int>::instances,
          "template static member is one object");
    check(a.square_vtable_obj == b.square_vtable_obj && b.square_vtable_obj == c.square_vtable_obj &&
              a.square_vtable_obj == main_vptr,
          "Square<int> has one vtable");
    std::printf("failures: %d\n", failures);
    return failures;
}
