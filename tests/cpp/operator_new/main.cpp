#include "alloc.h"

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

static void report(const char *what, long big_before, long big_after) {
    std::printf("%-40s big allocations seen: %s\n", what, big_after > big_before ? "yes" : "no");
}

int main() {
    // Allocation in the program's own code (always counted).
    long b = alloc_stats.big_news;
    {
        std::unique_ptr<char[]> p(new char[kBigAllocation + 1]);
        p[0] = 1;
    }
    report("new char[] in the program", b, alloc_stats.big_news);

    // std::string::reserve is compiled into libstdc++ (extern template).
    b = alloc_stats.big_news;
    {
        std::string s;
        s.reserve(150000);
        s.append(1000, 'x');
        std::printf("string size %zu\n", s.size());
    }
    report("std::string::reserve in libstdc++", b, alloc_stats.big_news);

    // The ostringstream grows its buffer inside libstdc++ (overflow/xsputn).
    b = alloc_stats.big_news;
    {
        std::vector<char> chunk(1000, 'y');
        std::ostringstream os;
        for (int i = 0; i < 130; ++i)
            os.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        std::printf("stream size %zu\n", os.str().size());
    }
    report("std::ostringstream growth in libstdc++", b, alloc_stats.big_news);

    bool balanced = alloc_stats.news >= alloc_stats.deletes;
    std::printf("news >= deletes: %s\n", balanced ? "yes" : "no");
    return 0;
}
