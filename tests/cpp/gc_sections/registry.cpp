#include "plugins.h"

#include <cstdio>

std::vector<std::pair<std::string, Factory>> &plugin_registry() {
    static std::vector<std::pair<std::string, Factory>> r;
    return r;
}

void register_plugin(const char *name, Factory f) { plugin_registry().emplace_back(name, f); }

// Never referenced: --gc-sections drops them (checked with absent_symbols).
extern "C" int gc_unused_function(int x) { return x * 31 + 7; }
extern "C" {
int gc_unused_data[64] = {1, 2, 3};
}
