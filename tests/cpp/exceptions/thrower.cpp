#include "errors.h"

#include <stdexcept>

namespace app {

Fault::~Fault() = default;
const char *Fault::what() const noexcept { return msg_.c_str(); }
IoFault::~IoFault() = default;
ParseFault::~ParseFault() = default;

int guards_alive = 0;
std::string unwind_log;

Guard::Guard(const char *n) : name(n) { ++guards_alive; }
Guard::~Guard() {
    --guards_alive;
    unwind_log += name;
    unwind_log += ' ';
}

void throw_io(const std::string &path) { throw IoFault("cannot open", 2, path); }
void throw_parse(int line) { throw ParseFault("bad token", line); }
void throw_plain(int v) { throw Plain{v}; }
void throw_int(int v) { throw v; }

void maybe_throw(int what) {
    Guard g("maybe");
    switch (what) {
    case 0: return;
    case 1: throw_io("/nonexistent/file");
    case 2: throw_parse(7);
    case 3: throw_plain(33);
    case 4: throw_int(44);
    case 5: throw std::out_of_range("index 5");
    default: throw std::logic_error("unknown kind");
    }
}

void rethrow_wrapped(int what) {
    Guard g("wrap");
    try {
        maybe_throw(what);
    } catch (const Fault &e) {
        unwind_log += "[rethrow code=" + std::to_string(e.code()) + "] ";
        throw; // rethrows the original object, with its dynamic type
    }
}

void throw_nested(int what) {
    try {
        maybe_throw(what);
    } catch (...) {
        std::throw_with_nested(std::runtime_error("outer failure " + std::to_string(what)));
    }
}

std::exception_ptr capture(int what) {
    try {
        maybe_throw(what);
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}

int deep_unwind(int depth) {
    static const char *names[] = {"d0", "d1", "d2", "d3", "d4", "d5"};
    Guard g(names[depth]);
    if (depth < 5)
        return deep_unwind(depth + 1) + 1;
    throw ParseFault("too deep", depth);
}

} // namespace app
