// Replacement global operator new/delete. In a dynamically linked program
// these definitions must preempt libstdc++.so's own, so that allocations
// made *inside* libstdc++.so (e.g. std::string::reserve, the stringbuf of
// an ostringstream) come here too: the linker has to export them from the
// executable because libstdc++.so also defines them.
#include "alloc.h"

#include <cstdlib>
#include <new>

AllocStats alloc_stats;

static void *counted_alloc(std::size_t n) {
    if (n >= kBigAllocation)
        ++alloc_stats.big_news;
    ++alloc_stats.news;
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}

static void counted_free(void *p, std::size_t n) {
    if (!p)
        return;
    (void)n;
    ++alloc_stats.deletes;
    std::free(p);
}

void *operator new(std::size_t n) { return counted_alloc(n); }
void *operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void *p) noexcept { counted_free(p, 0); }
void operator delete[](void *p) noexcept { counted_free(p, 0); }
void operator delete(void *p, std::size_t n) noexcept { counted_free(p, n); }
void operator delete[](void *p, std::size_t n) noexcept { counted_free(p, n); }
