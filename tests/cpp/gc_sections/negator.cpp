#include "plugins.h"

namespace {
struct NegativeInput {
    int value;
};
struct Negator : Plugin {
    std::string name() const override { return "negator"; }
    int run(int x) const override {
        if (x < 0)
            throw NegativeInput{x};
        return -x;
    }
};
struct Reg {
    Reg() {
        register_plugin("negator", [] { return std::unique_ptr<Plugin>(new Negator); });
    }
} reg;
} // namespace

// Catches its own exception type, which only this TU knows.
int negator_checked(const Plugin &p, int x) {
    try {
        return p.run(x);
    } catch (const NegativeInput &n) {
        return 1000000 + n.value;
    }
}
