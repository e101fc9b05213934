#include "parser.h"

#include <cctype>

namespace {
struct Parser {
    const std::string &s;
    size_t i = 0;
    void skip() {
        while (i < s.size() && s[i] == ' ')
            ++i;
    }
    long primary() {
        skip();
        if (i < s.size() && s[i] == '(') {
            ++i;
            long v = sum();
            skip();
            if (i >= s.size() || s[i] != ')')
                throw SyntaxProblem("expected ')'", i);
            ++i;
            return v;
        }
        if (i < s.size() && s[i] == '-') {
            ++i;
            return -primary();
        }
        if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i])))
            throw SyntaxProblem("expected a number", i);
        long v = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            v = v * 10 + (s[i++] - '0');
        return v;
    }
    long product() {
        long v = primary();
        for (;;) {
            skip();
            if (i < s.size() && (s[i] == '*' || s[i] == '/')) {
                char op = s[i++];
                long r = primary();
                if (op == '/' && r == 0)
                    throw std::domain_error("division by zero");
                v = op == '*' ? v * r : v / r;
            } else {
                return v;
            }
        }
    }
    long sum() {
        long v = product();
        for (;;) {
            skip();
            if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
                char op = s[i++];
                long r = product();
                v = op == '+' ? v + r : v - r;
            } else {
                return v;
            }
        }
    }
};
} // namespace

long evaluate(const std::string &expr) {
    Parser p{expr};
    long v = p.sum();
    p.skip();
    if (p.i != expr.size())
        throw SyntaxProblem("trailing input", p.i);
    return v;
}
