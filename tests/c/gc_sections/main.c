/* gc_sections: -ffunction-sections -fdata-sections with --gc-sections: used
 * code and data survive, including sections reached only through
 * constructors, __start_/__stop_ references, and function pointers in data. */
#include <stdio.h>

int used_function(int x);
extern int used_table[4];
int via_pointer(void);

struct entry {
    const char *name;
    int (*fn)(void);
};
extern struct entry __start_gc_entries[], __stop_gc_entries[];

static int (*const ptr)(void) = via_pointer;
static int ctor_value;

__attribute__((constructor)) static void ctor(void) { ctor_value = 123; }

int main(void)
{
    printf("used_function(4) = %d\n", used_function(4));
    printf("used_table sum = %d\n", used_table[0] + used_table[1] + used_table[2] + used_table[3]);
    printf("via pointer = %d\n", ptr());
    printf("constructor value = %d\n", ctor_value);
    for (struct entry *e = __start_gc_entries; e < __stop_gc_entries; e++)
        printf("entry %s -> %d\n", e->name, e->fn());
    return 0;
}
