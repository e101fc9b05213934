#include "zoo.h"

namespace zoo {

Cat::~Cat() = default;
std::string Cat::sound() const { return "meow"; }
Puppy::~Puppy() = default;
std::string Puppy::sound() const { return "yip"; }

namespace {
struct Local {
    virtual ~Local() {}
};
} // namespace
const std::type_info &local_typeid_cat() { return typeid(Local); }

Inline *make_box_long() { return new Box<long>; }
const std::type_info &cat_typeid() { return typeid(Cat); }
const std::type_info &box_long_typeid() { return typeid(Box<long>); }
bool is_dog_in_cat_tu(Animal *a) { return dynamic_cast<Dog *>(a) != nullptr; }

} // namespace zoo
