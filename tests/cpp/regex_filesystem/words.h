#pragma once
#include <string>
#include <unordered_map>
#include <vector>

// A key with a custom hash and equality (case-insensitive).
struct Word {
    std::string text;
};
struct WordHash {
    size_t operator()(const Word &w) const; // FNV-1a over lowercase bytes
};
struct WordEq {
    bool operator()(const Word &a, const Word &b) const;
};
using WordCounts = std::unordered_map<Word, int, WordHash, WordEq>;

WordCounts count_words(const std::string &text); // std::sregex_iterator
std::vector<std::string> regex_report(const std::string &text);
