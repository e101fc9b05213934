#include "inventory.h"

#include <fstream>
#include <iomanip>
#include <sstream>

std::vector<Item> parse_inventory(const std::string &text) {
    std::istringstream in(text);
    std::vector<Item> items;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream fields(line);
        Item it;
        if (fields >> it.name >> it.qty >> it.price)
            items.push_back(it);
    }
    return items;
}

std::string format_table(const std::vector<Item> &items) {
    std::ostringstream out;
    out << std::left << std::setw(10) << "name" << std::right << std::setw(6) << "qty"
        << std::setw(10) << "price" << std::setw(12) << "value" << '\n';
    out << std::setfill('-') << std::setw(38) << "" << std::setfill(' ') << '\n';
    for (const Item &it : items)
        out << std::left << std::setw(10) << it.name << std::right << std::setw(6) << it.qty
            << std::setw(10) << std::fixed << std::setprecision(2) << it.price << std::setw(12)
            << std::scientific << std::setprecision(3) << it.qty * it.price << std::defaultfloat
            << '\n';
    out << "hex " << std::hex << std::showbase << 48879 << " oct " << std::oct << 8 << std::dec
        << std::noshowbase << " bool " << std::boolalpha << true << std::noboolalpha << '\n';
    return out.str();
}

bool round_trip_file(const std::string &path, const std::vector<Item> &items,
                     std::vector<Item> &back) {
    {
        std::ofstream f(path, std::ios::trunc);
        if (!f)
            return false;
        for (const Item &it : items)
            f << it.name << ' ' << it.qty << ' ' << std::setprecision(17) << it.price << '\n';
    }
    std::ifstream f(path);
    if (!f)
        return false;
    std::stringstream ss;
    ss << f.rdbuf();
    back = parse_inventory(ss.str());
    return true;
}

std::string deleter_log;
void ResourceDeleter::operator()(Resource *r) const {
    deleter_log += std::string(tag) + ":" + std::to_string(r->id) + " ";
    delete r;
}
std::unique_ptr<Resource, ResourceDeleter> make_unique_resource(int id) {
    return std::unique_ptr<Resource, ResourceDeleter>(new Resource(id), ResourceDeleter{"unique"});
}
std::shared_ptr<Resource> make_shared_resource(int id) {
    return std::shared_ptr<Resource>(new Resource(id), ResourceDeleter{"shared"});
}
std::function<int(int)> make_adder(int base) {
    return [base](int x) { return base + x; };
}
