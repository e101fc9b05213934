#include "generic.h"

#include <cstdio>

std::string show(const Value &v) {
    return std::visit(
        overloaded{
            [](int i) { return "int " + std::to_string(i); },
            [](double d) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "double %.3f", d);
                return std::string(buf);
            },
            [](const std::string &s) { return "string \"" + s + "\""; },
            [](const Point &p) {
                return "point (" + std::to_string(p.x) + "," + std::to_string(p.y) + ")";
            },
            [](const std::vector<int> &vi) {
                std::string r = "vector[";
                for (size_t i = 0; i < vi.size(); ++i)
                    r += (i ? "," : "") + std::to_string(vi[i]);
                return r + "]";
            },
        },
        v);
}

std::optional<int> find_index(const std::vector<std::string> &v, const std::string &s) {
    auto it = std::find(v.begin(), v.end(), s);
    if (it == v.end())
        return std::nullopt;
    return static_cast<int>(it - v.begin());
}
