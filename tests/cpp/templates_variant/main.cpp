// Many template instantiations: std::sort on several types and
// comparators, std::variant + std::visit, std::optional, std::tuple,
// std::apply, fold expressions.
#include "generic.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <numeric>

template <class T> static void print_all(const char *label, const std::vector<T> &v) {
    std::printf("%s:", label);
    for (const T &x : v) {
        if constexpr (std::is_same_v<T, std::string>)
            std::printf(" %s", x.c_str());
        else if constexpr (std::is_same_v<T, Point>)
            std::printf(" (%d,%d)", x.x, x.y);
        else if constexpr (std::is_floating_point_v<T>)
            std::printf(" %.2f", x);
        else
            std::printf(" %lld", static_cast<long long>(x));
    }
    std::printf("\n");
}

int main() {
    print_all("ints", sorted(std::vector<int>{5, -2, 9, 0, 3}));
    print_all("ints desc", sorted(std::vector<int>{5, -2, 9, 0, 3}, std::greater<int>()));
    print_all("longs by abs",
              sorted(std::vector<long>{-8, 3, -1, 7, 0},
                     [](long a, long b) { return std::labs(a) < std::labs(b); }));
    print_all("doubles", sorted(std::vector<double>{3.5, -1.25, 2.0, 0.125}));
    print_all("strings", sorted(std::vector<std::string>{"pear", "apple", "fig", "banana"}));
    print_all("strings by length",
              sorted(std::vector<std::string>{"pear", "apple", "fig", "banana"},
                     [](const std::string &a, const std::string &b) {
                         return std::make_pair(a.size(), a) < std::make_pair(b.size(), b);
                     }));
    print_all("points", sorted(std::vector<Point>{{2, 1}, {1, 5}, {2, 0}, {1, 1}}));
    print_all("unsigned char", sorted(std::vector<unsigned char>{200, 3, 77}));

    std::vector<Value> values = sample_values();
    for (const Value &v : values)
        std::printf("variant index %zu: %s\n", v.index(), show(v).c_str());
    int ints = 0;
    for (const Value &v : values)
        if (std::holds_alternative<int>(v))
            ints += std::get<int>(v);
    std::printf("sum of int alternatives: %d\n", ints);
    try {
        (void)std::get<double>(values[0]);
    } catch (const std::bad_variant_access &) {
        std::printf("bad_variant_access caught\n");
    }

    std::vector<std::string> names{"x", "y", "z"};
    for (const char *n : {"y", "w"}) {
        std::optional<int> idx = find_index(names, n);
        std::printf("find %s: %s\n", n, idx ? std::to_string(*idx).c_str() : "nullopt");
        std::printf("  value_or: %d\n", idx.value_or(-1));
    }
    try {
        std::optional<int> none;
        std::printf("%d\n", none.value());
    } catch (const std::bad_optional_access &) {
        std::printf("bad_optional_access caught\n");
    }

    auto t = std::make_tuple(1, 2.5, std::string("three"));
    double total = std::apply([](int a, double b, const std::string &c) { return a + b + c.size(); }, t);
    std::printf("apply: %.1f, fold: %d, fold mixed: %.2f\n", total, sum_all(1, 2, 3, 4),
                sum_all(1, 0.5, 0.25));

    std::map<std::tuple<int, char>, std::optional<std::string>> m;
    m[{2, 'b'}] = "two-b";
    m[{1, 'z'}] = std::nullopt;
    m[{1, 'a'}] = "one-a";
    for (const auto &[k, v] : m)
        std::printf("map (%d,%c) -> %s\n", std::get<0>(k), std::get<1>(k), v ? v->c_str() : "-");
    return 0;
}
