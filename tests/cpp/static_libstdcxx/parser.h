#pragma once
#include <stdexcept>
#include <string>
#include <vector>

struct SyntaxProblem : std::runtime_error {
    SyntaxProblem(const std::string &what, size_t pos) : std::runtime_error(what), pos(pos) {}
    size_t pos;
};

// Evaluates + - * / ( ) over integers; throws SyntaxProblem or
// std::domain_error (division by zero).
long evaluate(const std::string &expr);
