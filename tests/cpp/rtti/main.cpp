// RTTI across translation units: typeid names and equality, dynamic_cast
// (down, cross and through virtual bases), bad_cast and bad_typeid.
#include "zoo.h"

#include <cstdio>
#include <cxxabi.h>
#include <cstdlib>
#include <memory>
#include <typeindex>

using namespace zoo;

static int failures = 0;
static void check(bool ok, const char *what) {
    if (!ok)
        ++failures;
    std::printf("%s: %s\n", ok ? "ok" : "FAIL", what);
}

static std::string demangle(const char *mangled) {
    int status = 0;
    char *s = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string r = status == 0 ? s : mangled;
    std::free(s);
    return r;
}

int main() {
    std::unique_ptr<Animal> animals[3] = {std::unique_ptr<Animal>(make_animal(0)),
                                          std::unique_ptr<Animal>(make_animal(1)),
                                          std::unique_ptr<Animal>(make_animal(2))};
    for (auto &a : animals) {
        const std::type_info &t = typeid(*a);
        std::printf("%-12s %-10s %s dog=%d/%d cat=%d\n", t.name(), demangle(t.name()).c_str(),
                    a->sound().c_str(), dynamic_cast<Dog *>(a.get()) != nullptr,
                    is_dog_in_cat_tu(a.get()), dynamic_cast<Cat *>(a.get()) != nullptr);
    }
    check(typeid(*animals[1]) == cat_typeid(), "typeid(Cat) equal across TUs");
    check(&typeid(*animals[1]) == &cat_typeid(), "typeid(Cat) is one object");
    check(typeid(*animals[2]) != typeid(Dog), "Puppy is not Dog by typeid");
    check(std::type_index(typeid(Dog)) == std::type_index(typeid(*animals[0])), "type_index");

    // COMDAT typeinfo of a template instantiated in two TUs.
    std::unique_ptr<Inline> box(make_box_long());
    check(typeid(*box) == typeid(Box<long>), "typeid(Box<long>) equal across TUs");
    check(typeid(*box) == box_long_typeid(), "typeid(Box<long>) from cat.cpp");
    check(&typeid(Box<long>) == &box_long_typeid(), "typeid(Box<long>) is one object (COMDAT)");
    check(dynamic_cast<Box<long> *>(box.get()) != nullptr, "dynamic_cast to Box<long>");
    check(dynamic_cast<Box<int> *>(box.get()) == nullptr, "dynamic_cast to Box<int> fails");
    std::printf("Box<long> id %d, name %s\n", box->id(), demangle(typeid(*box).name()).c_str());

    // Types in anonymous namespaces are distinct even with the same name.
    check(local_typeid_dog() != local_typeid_cat(), "anonymous-namespace types differ");
    check(demangle(local_typeid_dog().name()) == demangle(local_typeid_cat().name()),
          "... but demangle to the same name");
    std::printf("local type: %s\n", demangle(local_typeid_dog().name()).c_str());

    // Virtual inheritance.
    std::unique_ptr<Named> n(make_duck_as_named());
    Duck *d = dynamic_cast<Duck *>(n.get());
    Swimmer *s = dynamic_cast<Swimmer *>(n.get());
    Flyer *f = dynamic_cast<Flyer *>(s); // cross cast
    check(d && s && f, "downcast and cross cast through a virtual base");
    check(static_cast<Named *>(f) == n.get() && static_cast<Named *>(s) == n.get(),
          "one shared virtual base");
    check(dynamic_cast<void *>(f) == static_cast<void *>(d), "dynamic_cast<void*> finds the whole object");
    std::printf("duck: name=%s swim=%d fly=%d type=%s\n", n->name.c_str(), s->swim_speed(),
                f->fly_speed(), demangle(typeid(*n).name()).c_str());

    // bad_cast and bad_typeid.
    try {
        Cat &c = dynamic_cast<Cat &>(*animals[0]);
        (void)c;
        check(false, "dynamic_cast<Cat&>(dog) throws");
    } catch (const std::bad_cast &e) {
        check(true, "dynamic_cast<Cat&>(dog) throws std::bad_cast");
    }
    try {
        Animal *none = nullptr;
        std::printf("%s\n", typeid(*none).name());
        check(false, "typeid(*nullptr) throws");
    } catch (const std::bad_typeid &) {
        check(true, "typeid(*nullptr) throws std::bad_typeid");
    }

    std::printf("failures: %d\n", failures);
    return failures;
}
