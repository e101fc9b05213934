#pragma once
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

struct Point {
    int x, y;
    bool operator<(const Point &o) const { return std::tie(x, y) < std::tie(o.x, o.y); }
};

using Value = std::variant<int, double, std::string, Point, std::vector<int>>;

std::string show(const Value &v);                        // std::visit, in show.cpp
std::optional<int> find_index(const std::vector<std::string> &v, const std::string &s);
std::vector<Value> sample_values();                      // in values.cpp

template <class T, class Cmp = std::less<T>>
std::vector<T> sorted(std::vector<T> v, Cmp cmp = Cmp()) {
    std::sort(v.begin(), v.end(), cmp);
    return v;
}

template <class... Ts> struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts> overloaded(Ts...) -> overloaded<Ts...>;

template <class... Args> auto sum_all(Args... args) { return (args + ...); }
