#include "words.h"

#include <cctype>
#include <regex>

size_t WordHash::operator()(const Word &w) const {
    size_t h = 1469598103934665603ull;
    for (unsigned char c : w.text) {
        h ^= static_cast<unsigned char>(std::tolower(c));
        h *= 1099511628211ull;
    }
    return h;
}

bool WordEq::operator()(const Word &a, const Word &b) const {
    if (a.text.size() != b.text.size())
        return false;
    for (size_t i = 0; i < a.text.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a.text[i])) !=
            std::tolower(static_cast<unsigned char>(b.text[i])))
            return false;
    return true;
}

WordCounts count_words(const std::string &text) {
    WordCounts counts;
    static const std::regex word_re("[A-Za-z]+");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), word_re);
         it != std::sregex_iterator(); ++it)
        counts[Word{it->str()}]++;
    return counts;
}

std::vector<std::string> regex_report(const std::string &text) {
    std::vector<std::string> out;
    std::regex date(R"((\d{4})-(\d{2})-(\d{2}))");
    std::smatch m;
    if (std::regex_search(text, m, date))
        out.push_back("first date: year " + m[1].str() + " month " + m[2].str() + " day " +
                      m[3].str());
    out.push_back("dates rewritten: " + std::regex_replace(text, date, "$3/$2/$1"));
    std::regex email(R"(([\w.]+)@([\w]+)\.(com|org))", std::regex::icase);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), email);
         it != std::sregex_iterator(); ++it)
        out.push_back("email user=" + (*it)[1].str() + " domain=" + (*it)[2].str());
    out.push_back(std::string("full match of \"abc123\" against [a-z]+[0-9]+: ") +
                  (std::regex_match("abc123", std::regex("[a-z]+[0-9]+")) ? "yes" : "no"));
    try {
        std::regex bad("(unclosed");
        out.push_back("bad regex accepted?!");
    } catch (const std::regex_error &e) {
        out.push_back(std::string("regex_error caught, code ") +
                      (e.code() == std::regex_constants::error_paren ? "error_paren" : "other"));
    }
    return out;
}
