#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct Item {
    std::string name;
    int qty;
    double price;
};

std::vector<Item> parse_inventory(const std::string &text); // stringstream parsing
std::string format_table(const std::vector<Item> &items);   // iomanip
bool round_trip_file(const std::string &path, const std::vector<Item> &items,
                     std::vector<Item> &back);              // fstream

// Custom deleters: log into a shared string.
extern std::string deleter_log;
struct Resource {
    explicit Resource(int i) : id(i) {}
    int id;
};
struct ResourceDeleter {
    const char *tag;
    void operator()(Resource *r) const;
};
std::unique_ptr<Resource, ResourceDeleter> make_unique_resource(int id);
std::shared_ptr<Resource> make_shared_resource(int id);
std::function<int(int)> make_adder(int base); // lambda capturing by value
