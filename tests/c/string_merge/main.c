/* string_merge: identical string literals in many objects (SHF_MERGE |
 * SHF_STRINGS sections .rodata.str1.1, .rodata.str4.4 for wide strings),
 * suffix strings, relocations with addends pointing into the middle of a
 * merged string, and pointer equality of equal literals within one object. */
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define DECL(i)                                                  \
    const char *get_shared_##i(void);                            \
    const char *get_suffix_##i(void);                            \
    const char *get_own_##i(void);                               \
    const wchar_t *get_wide_##i(void);                           \
    extern const char *const mid_pointer_##i;                    \
    int same_within_file_##i(void);
DECL(1) DECL(2) DECL(3) DECL(4) DECL(5)

struct getters {
    const char *(*shared)(void);
    const char *(*suffix)(void);
    const char *(*own)(void);
    const wchar_t *(*wide)(void);
    const char *const *mid;
    int (*same)(void);
};
#define ENTRY(i) { get_shared_##i, get_suffix_##i, get_own_##i, get_wide_##i, &mid_pointer_##i, same_within_file_##i }
static const struct getters all[] = { ENTRY(1), ENTRY(2), ENTRY(3), ENTRY(4), ENTRY(5) };

int main(void)
{
    const char *local1 = "literal in main";
    const char *local2 = "literal in main";
    printf("equal literals in main.c share an address: %s\n", local1 == local2 ? "yes" : "no");
    int ok_shared = 1, ok_suffix = 1, ok_wide = 1, ok_mid = 1, ok_same = 1;
    for (int i = 0; i < 5; i++) {
        ok_shared &= strcmp(all[i].shared(), "a string literal shared by many files") == 0;
        ok_suffix &= strcmp(all[i].suffix(), "shared by many files") == 0;
        ok_wide &= wcscmp(all[i].wide(), L"wide literal") == 0;
        ok_mid &= strcmp(*all[i].mid, "keep this part") == 0;
        ok_same &= all[i].same();
        printf("own %d: %s\n", i + 1, all[i].own());
    }
    printf("shared contents: %s\n", ok_shared ? "ok" : "BAD");
    printf("suffix contents: %s\n", ok_suffix ? "ok" : "BAD");
    printf("wide contents: %s\n", ok_wide ? "ok" : "BAD");
    printf("mid-string pointers: %s (\"%s\")\n", ok_mid ? "ok" : "BAD", mid_pointer_3);
    printf("same literal, same object, same address: %s\n", ok_same ? "ok" : "BAD");
    return 0;
}
