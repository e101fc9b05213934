#include <stdio.h>

int used_table[4] = { 1, 2, 3, 4 };
int unused_table[1000] = { 1 };

static int helper(int x) { return x * x; }
int used_function(int x) { return helper(x) + 1; }
int unused_function(int x) { printf("never called %d\n", x); return unused_table[x]; }
int via_pointer(void) { return 77; }

static int entry_fn(void) { return 5; }
struct entry {
    const char *name;
    int (*fn)(void);
};
__attribute__((section("gc_entries"), used)) static struct entry only_entry = { "only", entry_fn };
