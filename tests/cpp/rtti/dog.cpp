#include "zoo.h"

namespace zoo {

Animal::~Animal() = default;
Dog::~Dog() = default;
std::string Dog::sound() const { return "woof"; }
Named::~Named() = default;
Duck::Duck() { name = "duck"; }
Duck::~Duck() = default;

namespace {
struct Local {
    virtual ~Local() {}
};
} // namespace
const std::type_info &local_typeid_dog() { return typeid(Local); }

Animal *make_animal(int kind) {
    switch (kind) {
    case 0: return new Dog;
    case 1: return new Cat;
    default: return new Puppy;
    }
}

Named *make_duck_as_named() { return new Duck; }

} // namespace zoo
