// C++ exceptions through C frames: a qsort comparator (glibc's qsort is
// built with -fexceptions) and a callback driven by C code compiled here
// with -fexceptions. Then the terminate path: an exception escaping a
// noexcept function (through a C frame) calls std::terminate, whose
// handler prints and exits with status 3.
#include "capply.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

struct CompareFailed {
    int a, b;
};

static int cmp_calls = 0;
static int comparator(const void *pa, const void *pb) {
    int a = *static_cast<const int *>(pa), b = *static_cast<const int *>(pb);
    ++cmp_calls;
    if (a == 13 || b == 13)
        throw CompareFailed{a, b};
    return (a > b) - (a < b);
}

static void visit(int x, void *ctx) {
    auto *sum = static_cast<long *>(ctx);
    if (x < 0)
        throw std::invalid_argument("negative element " + std::to_string(x));
    *sum += x;
}

static void on_terminate() {
    std::exception_ptr p = std::current_exception();
    try {
        if (p)
            std::rethrow_exception(p);
        std::printf("terminate handler: no active exception\n");
    } catch (const std::exception &e) {
        std::printf("terminate handler: %s (C cleanups so far %d)\n", e.what(), c_cleanups_run);
    } catch (...) {
        std::printf("terminate handler: unknown exception\n");
    }
    std::fflush(stdout);
    std::_Exit(3);
}

static long must_not_throw(int x) noexcept {
    // The exception from visit() unwinds through c_each (C) and then hits
    // this noexcept frame: std::terminate.
    const int vals[] = {x, -x};
    long sum = 0;
    c_each(vals, 2, visit, &sum);
    return sum;
}

int main() {
    int sorted_ok[] = {5, 3, 9, 1, 7};
    std::qsort(sorted_ok, 5, sizeof(int), comparator);
    std::printf("qsort without throw:");
    for (int v : sorted_ok)
        std::printf(" %d", v);
    std::printf("\n");

    int with13[] = {4, 13, 8, 2, 6, 11};
    try {
        std::qsort(with13, 6, sizeof(int), comparator);
        std::printf("qsort finished?!\n");
    } catch (const CompareFailed &f) {
        std::printf("comparator exception caught through qsort (involves %d)\n",
                    f.a == 13 ? f.a : f.b);
    }

    const int ok_vals[] = {1, 2, 3, 4};
    long sum = 0;
    int visited = c_each(ok_vals, 4, visit, &sum);
    std::printf("c_each: visited %d, sum %ld, cleanups %d\n", visited, sum, c_cleanups_run);
    const int bad_vals[] = {10, 20, -5, 40};
    sum = 0;
    try {
        c_each(bad_vals, 4, visit, &sum);
    } catch (const std::invalid_argument &e) {
        std::printf("caught through C frame: %s; sum so far %ld, cleanups %d\n", e.what(), sum,
                    c_cleanups_run);
    }

    std::set_terminate(on_terminate);
    std::printf("calling a noexcept function that throws\n");
    std::fflush(stdout);
    long r = must_not_throw(std::getenv("NEVER_SET_VARIABLE") ? 0 : 7);
    std::printf("not reached (%ld)\n", r);
    return 0;
}
