// Exceptions thrown in thrower.cpp and caught here: class hierarchy,
// rethrow, nested try blocks, catch(...), std::exception_ptr and
// std::nested_exception.
#include "errors.h"

#include <cstdio>
#include <stdexcept>

using namespace app;

static int checks = 0, failures = 0;
static void check(bool ok, const char *what) {
    ++checks;
    if (!ok)
        ++failures;
    std::printf("%s: %s\n", ok ? "ok" : "FAIL", what);
}

static const char *classify(int what) {
    try {
        maybe_throw(what);
        return "no exception";
    } catch (const IoFault &e) {
        return "IoFault";
    } catch (const ParseFault &e) {
        return "ParseFault";
    } catch (const Fault &e) {
        return "Fault";
    } catch (const std::logic_error &e) {
        return "std::logic_error";
    } catch (const std::exception &e) {
        return "std::exception";
    } catch (const Plain &p) {
        return "Plain";
    } catch (...) {
        return "catch(...)";
    }
}

static void print_nested(const std::exception &e, int level) {
    std::printf("  %*s%s\n", level * 2, "", e.what());
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception &inner) {
        print_nested(inner, level + 1);
    } catch (const Plain &p) {
        std::printf("  %*sPlain %d\n", (level + 1) * 2, "", p.value);
    } catch (...) {
        std::printf("  %*s(unknown)\n", (level + 1) * 2, "");
    }
}

int main() {
    for (int i = 0; i <= 6; ++i)
        std::printf("kind %d -> %s\n", i, classify(i));

    // Catch by base class, inspect the derived object.
    try {
        maybe_throw(1);
    } catch (const Fault &e) {
        const IoFault *io = dynamic_cast<const IoFault *>(&e);
        check(io && io->path() == "/nonexistent/file", "IoFault caught as Fault keeps its path");
        check(e.code() == 2 && std::string(e.what()) == "cannot open", "what() and code()");
    }

    // Rethrow with `throw;` keeps the dynamic type.
    unwind_log.clear();
    try {
        rethrow_wrapped(2);
    } catch (const ParseFault &e) {
        check(e.line() == 7, "rethrown ParseFault keeps line 7");
    }
    std::printf("unwind log: %s\n", unwind_log.c_str());
    check(guards_alive == 0, "all guards destroyed after rethrow");

    // Nested try blocks: inner handler does not match, outer one does; an
    // exception thrown from inside a handler replaces the first one.
    int stage = 0;
    try {
        try {
            maybe_throw(4);
        } catch (const Fault &) {
            stage = -1;
        }
    } catch (int v) {
        stage = v;
    }
    check(stage == 44, "int passes an Fault handler and reaches the outer catch(int)");
    try {
        try {
            maybe_throw(3);
        } catch (const Plain &p) {
            throw std::runtime_error("replaced " + std::to_string(p.value));
        }
    } catch (const std::runtime_error &e) {
        check(std::string(e.what()) == "replaced 33", "exception thrown inside a handler");
    }

    // Unwinding through recursion destroys every frame's guard in order.
    unwind_log.clear();
    try {
        deep_unwind(0);
    } catch (const ParseFault &e) {
        std::printf("deep_unwind: line %d, log: %s\n", e.line(), unwind_log.c_str());
    }
    check(guards_alive == 0, "recursion unwound completely");

    // std::exception_ptr: stored, copied, rethrown later.
    std::exception_ptr saved[7];
    for (int i = 0; i <= 6; ++i)
        saved[i] = capture(i);
    check(!saved[0], "no exception -> null exception_ptr");
    int rethrown = 0;
    for (int i = 1; i <= 6; ++i) {
        std::exception_ptr copy = saved[i];
        try {
            std::rethrow_exception(copy);
        } catch (const Fault &e) {
            std::printf("exception_ptr %d: Fault code %d (%s)\n", i, e.code(), e.what());
            ++rethrown;
        } catch (const std::exception &e) {
            std::printf("exception_ptr %d: std::exception (%s)\n", i, e.what());
            ++rethrown;
        } catch (const Plain &p) {
            std::printf("exception_ptr %d: Plain %d\n", i, p.value);
            ++rethrown;
        } catch (int v) {
            std::printf("exception_ptr %d: int %d\n", i, v);
            ++rethrown;
        }
    }
    check(rethrown == 6, "six exception_ptrs rethrown");
    std::exception_ptr made = std::make_exception_ptr(ParseFault("made", 3));
    try {
        std::rethrow_exception(made);
    } catch (const ParseFault &e) {
        check(e.code() == 103, "make_exception_ptr(ParseFault)");
    }

    // std::throw_with_nested / std::rethrow_if_nested.
    for (int i : {1, 3, 5}) {
        try {
            throw_nested(i);
        } catch (const std::exception &e) {
            std::printf("nested %d:\n", i);
            print_nested(e, 0);
        }
    }

    // std::uncaught_exceptions inside a destructor during unwinding.
    struct Watch {
        int *out;
        ~Watch() { *out = std::uncaught_exceptions(); }
    };
    int during = -1;
    try {
        Watch w{&during};
        throw_int(1);
    } catch (int) {
    }
    check(during == 1, "uncaught_exceptions() == 1 while unwinding");

    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
