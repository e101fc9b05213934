#include "generic.h"

std::vector<Value> sample_values() {
    std::vector<Value> v;
    v.emplace_back(42);
    v.emplace_back(2.5);
    v.emplace_back(std::string("hello"));
    v.emplace_back(Point{3, -4});
    v.emplace_back(std::vector<int>{3, 1, 2});
    v.emplace_back(-7);
    // Sorting instantiated here too (same instantiations as in main.cpp).
    std::vector<int> ints = sorted(std::vector<int>{9, 8, 7});
    v.emplace_back(ints);
    return v;
}
