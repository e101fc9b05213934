struct item {
    const char *name;
    int value;
};

#define REGISTER_ITEM(id, val)                                                   \
    static struct item item_##id __attribute__((section("my_items"), used,       \
                                                aligned(8))) = { #id, val }

typedef int (*hook_fn)(void);
#define REGISTER_HOOK(fn)                                                        \
    static hook_fn hook_##fn __attribute__((section("my_hooks"), used)) = fn
