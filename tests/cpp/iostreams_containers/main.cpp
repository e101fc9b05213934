// iostreams (cout, stringstream, fstream, iomanip), std::string, map,
// unordered_map, vector, algorithms, std::function and lambdas, smart
// pointers with custom deleters.
#include "inventory.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <unordered_map>

int main() {
    const std::string text = "# name qty price\n"
                             "apple 12 0.5\n"
                             "pear 3 1.25\n"
                             "\n"
                             "kiwi 40 0.2\n"
                             "melon 1 3.75\n"
                             "fig 7 0.9\n";
    std::vector<Item> items = parse_inventory(text);
    std::cout << "parsed " << items.size() << " items\n";
    std::cout << format_table(items);

    std::vector<Item> back;
    const std::string path = "iostreams_containers.tmp";
    bool ok = round_trip_file(path, items, back);
    std::remove(path.c_str());
    bool same = ok && back.size() == items.size() &&
                std::equal(items.begin(), items.end(), back.begin(), [](const Item &a, const Item &b) {
                    return a.name == b.name && a.qty == b.qty && a.price == b.price;
                });
    std::cout << "fstream round trip: " << (same ? "identical" : "DIFFERENT") << '\n';

    // Algorithms.
    std::stable_sort(items.begin(), items.end(),
              [](const Item &a, const Item &b) { return a.qty * a.price > b.qty * b.price; });
    std::cout << "by value:";
    for (const Item &it : items)
        std::cout << ' ' << it.name;
    std::cout << '\n';
    int total_qty = std::accumulate(items.begin(), items.end(), 0,
                                    [](int acc, const Item &it) { return acc + it.qty; });
    auto cheap = std::count_if(items.begin(), items.end(), [](const Item &it) { return it.price < 1; });
    auto most = std::max_element(items.begin(), items.end(),
                                 [](const Item &a, const Item &b) { return a.qty < b.qty; });
    std::cout << "total qty " << total_qty << ", cheap " << cheap << ", most " << most->name << '\n';

    // std::map (ordered) and std::unordered_map (printed sorted).
    std::map<std::string, int> letters;
    std::unordered_map<char, int> firsts;
    for (const Item &it : items) {
        for (char c : it.name)
            letters[std::string(1, c)]++;
        firsts[it.name[0]] += it.qty;
    }
    std::cout << "letters:";
    for (const auto &[k, v] : letters)
        std::cout << ' ' << k << '=' << v;
    std::cout << '\n';
    std::vector<std::pair<char, int>> fv(firsts.begin(), firsts.end());
    std::sort(fv.begin(), fv.end());
    std::cout << "first letters:";
    for (const auto &[k, v] : fv)
        std::cout << ' ' << k << ':' << v;
    std::cout << '\n';

    // std::string operations.
    std::string s = "The quick brown fox";
    s.replace(s.find("quick"), 5, "slow");
    s += " jumps";
    std::string upper = s;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    std::cout << s << " | " << upper << " | " << s.substr(4, 4) << " | rfind o at " << s.rfind('o')
              << '\n';

    // std::function and lambdas.
    std::vector<std::function<int(int)>> fns;
    fns.push_back(make_adder(100));
    fns.push_back([](int x) { return x * x; });
    int factor = 3;
    fns.push_back([&factor](int x) { return x * factor; });
    factor = 5;
    std::cout << "functions:";
    for (auto &f : fns)
        std::cout << ' ' << f(7);
    std::cout << '\n';

    // Smart pointers with custom deleters.
    {
        auto u1 = make_unique_resource(1);
        auto u2 = make_unique_resource(2);
        auto s1 = make_shared_resource(3);
        {
            std::shared_ptr<Resource> s2 = s1;
            std::weak_ptr<Resource> w = s1;
            std::cout << "use_count " << s1.use_count() << ", weak expired " << w.expired() << '\n';
        }
        u1.reset();
        std::shared_ptr<Resource> from_unique = std::move(u2); // deleter moves along
        std::cout << "from_unique id " << from_unique->id << '\n';
    }
    std::cout << "deleter log: " << deleter_log << '\n';
    std::cout << std::flush;
    return same ? 0 : 1;
}
