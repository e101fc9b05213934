// libstdc++-heavy code: unordered_map with a custom hash and equality,
// std::regex (search, replace, iterate, regex_error), std::filesystem on a
// directory tree the program creates (and removes) itself.
#include "words.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

int main() {
    const std::string text = "The cat saw the CAT; the Cat ran. Dates: 2024-03-15 and 1999-12-31. "
                             "Mail alice.smith@example.com or BOB@Example.ORG!";
    WordCounts counts = count_words(text);
    std::vector<std::pair<std::string, int>> sorted;
    for (const auto &[w, n] : counts) {
        std::string lower = w.text;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        sorted.emplace_back(lower, n);
    }
    std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::printf("%zu distinct words; top:", counts.size());
    for (size_t i = 0; i < 4 && i < sorted.size(); ++i)
        std::printf(" %s=%d", sorted[i].first.c_str(), sorted[i].second);
    std::printf("\nlookup \"tHe\": %d\n", counts.count(Word{"tHe"}) ? counts.at(Word{"tHe"}) : -1);

    for (const std::string &line : regex_report(text))
        std::printf("%s\n", line.c_str());

    // std::filesystem on a private tree in the current directory.
    const fs::path root = "regex_filesystem.tree";
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root / "sub" / "deeper");
    for (auto [name, size] : {std::pair<const char *, int>{"b.txt", 10}, {"a.log", 3},
                              {"sub/c.txt", 7}, {"sub/deeper/d.bin", 1}}) {
        std::ofstream(root / name) << std::string(size, 'x');
    }
    fs::create_symlink("a.log", root / "link-to-a");
    std::vector<std::string> entries;
    for (const auto &e : fs::recursive_directory_iterator(root)) {
        std::string kind = e.is_symlink() ? "symlink" : e.is_directory() ? "dir" : "file";
        std::string line = e.path().lexically_relative(root).generic_string() + " " + kind;
        if (kind == "file")
            line += " " + std::to_string(e.file_size());
        entries.push_back(line);
    }
    std::sort(entries.begin(), entries.end());
    for (const std::string &e : entries)
        std::printf("fs: %s\n", e.c_str());
    std::printf("extension of sub/c.txt: %s, stem: %s\n",
                (root / "sub/c.txt").extension().c_str(), (root / "sub/c.txt").stem().c_str());
    fs::rename(root / "b.txt", root / "sub" / "b-moved.txt");
    std::printf("after rename: b.txt exists %d, moved size %ju\n", fs::exists(root / "b.txt"),
                static_cast<uintmax_t>(fs::file_size(root / "sub" / "b-moved.txt")));
    try {
        (void)fs::file_size(root / "missing");
    } catch (const fs::filesystem_error &e) {
        std::printf("filesystem_error caught: %s\n",
                    e.code() == std::errc::no_such_file_or_directory ? "ENOENT" : "other");
    }
    auto removed = fs::remove_all(root);
    std::printf("removed %ju entries, root exists %d\n", static_cast<uintmax_t>(removed),
                fs::exists(root));
    return 0;
}
