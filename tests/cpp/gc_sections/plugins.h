#pragma once
#include <memory>
#include <string>
#include <vector>

// Plugins register themselves from static constructors in their own TUs;
// nothing references them by name, so only .init_array keeps them alive
// under --gc-sections.
struct Plugin {
    virtual ~Plugin() = default;
    virtual std::string name() const = 0;
    virtual int run(int x) const = 0; // may throw
};

using Factory = std::unique_ptr<Plugin> (*)();
void register_plugin(const char *name, Factory f);
std::vector<std::pair<std::string, Factory>> &plugin_registry();
