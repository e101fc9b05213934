// Exceptions and iostreams with libstdc++ and libgcc linked statically
// into a PIE (-static-libstdc++ -static-libgcc): the unwinder and the
// personality routine come from the archives, not from shared libraries.
#include "parser.h"

#include <iomanip>
#include <iostream>
#include <sstream>

int main() {
    const char *exprs[] = {"1 + 2 * 3", "(1 + 2) * 3", "-(4 - 10) / 2", "2 * (3 + 4) * 5 - 1",
                           "7 / 0",     "(1 + 2",      "3 + x",         "12 34"};
    int errors = 0;
    std::ostringstream log;
    for (const char *e : exprs) {
        std::cout << std::left << std::setw(22) << e;
        try {
            long v = evaluate(e);
            std::cout << "= " << std::right << std::setw(6) << v << '\n';
            log << v << ';';
        } catch (const SyntaxProblem &err) {
            std::cout << "syntax error at " << err.pos << ": " << err.what() << '\n';
            ++errors;
        } catch (const std::exception &err) {
            std::cout << "error: " << err.what() << '\n';
            ++errors;
        }
    }
    std::cout << "values " << log.str() << " errors " << errors << std::endl;
    try {
        std::string s("abc");
        std::cout << s.at(10);
    } catch (const std::out_of_range &) {
        std::cout << "std::out_of_range from libstdc++ caught\n";
    }
    return errors;
}
