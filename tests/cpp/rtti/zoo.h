// Class hierarchy whose key functions (and so vtables and typeinfo) are
// spread over several translation units.
#pragma once
#include <string>
#include <typeinfo>

namespace zoo {

struct Animal {
    virtual ~Animal();
    virtual std::string sound() const = 0;
    int legs = 4;
};

struct Dog : Animal { // key function in dog.cpp
    ~Dog() override;
    std::string sound() const override;
};

struct Puppy : Dog { // key function in cat.cpp (on purpose: not dog.cpp)
    ~Puppy() override;
    std::string sound() const override;
};

struct Cat : Animal {
    ~Cat() override;
    std::string sound() const override;
};

// Virtual inheritance: a diamond.
struct Named {
    virtual ~Named();
    std::string name = "unnamed";
};
struct Swimmer : virtual Named {
    virtual int swim_speed() const { return 2; }
};
struct Flyer : virtual Named {
    virtual int fly_speed() const { return 10; }
};
struct Duck : Swimmer, Flyer { // key function in dog.cpp
    Duck();
    ~Duck() override;
    int swim_speed() const override { return 3; }
};

// A polymorphic class without a key function: its vtable and typeinfo are
// emitted in COMDAT groups in every TU that needs them.
struct Inline {
    virtual ~Inline() {}
    virtual int id() const { return 1; }
};
template <class T> struct Box : Inline {
    T value{};
    int id() const override { return static_cast<int>(sizeof(T)); }
};

Animal *make_animal(int kind);           // dog.cpp
Named *make_duck_as_named();              // dog.cpp
Inline *make_box_long();                  // cat.cpp
const std::type_info &cat_typeid();       // cat.cpp
const std::type_info &box_long_typeid();  // cat.cpp
const std::type_info &local_typeid_dog(); // dog.cpp: a type in an anonymous namespace
const std::type_info &local_typeid_cat(); // cat.cpp: same spelling, different type
bool is_dog_in_cat_tu(Animal *a);         // cat.cpp: dynamic_cast there

} // namespace zoo
