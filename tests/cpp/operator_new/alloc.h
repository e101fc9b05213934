#pragma once
#include <cstddef>

constexpr std::size_t kBigAllocation = 100000;

struct AllocStats {
    long news = 0;
    long deletes = 0;
    long big_news = 0;          // allocations of at least kBigAllocation bytes
};
extern AllocStats alloc_stats;
