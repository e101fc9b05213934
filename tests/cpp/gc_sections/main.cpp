// A C++ program built with -ffunction-sections -fdata-sections and linked
// with --gc-sections: static constructors, virtual functions and exception
// tables must survive the collection.
#include "plugins.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

int negator_checked(const Plugin &p, int x);

int main() {
    auto &reg = plugin_registry();
    std::sort(reg.begin(), reg.end()); // registration order is link order
    std::printf("%zu plugins registered\n", reg.size());
    int exceptions = 0;
    for (auto &[name, factory] : reg) {
        std::unique_ptr<Plugin> p = factory();
        for (int x : {5, -3, 2000}) {
            try {
                int r = name == "negator" ? negator_checked(*p, x) : p->run(x);
                std::printf("%s(%d) = %d\n", p->name().c_str(), x, r);
            } catch (const std::exception &e) {
                std::printf("%s(%d) threw: %s\n", p->name().c_str(), x, e.what());
                ++exceptions;
            }
        }
    }
    std::printf("exceptions: %d\n", exceptions);
    return reg.size() == 2 && exceptions == 1 ? 0 : 1;
}
