#include <wchar.h>
const char *get_shared_1(void) { return "a string literal shared by many files"; }
const char *get_suffix_1(void) { return "shared by many files"; }
const char *get_own_1(void) { return "only in s1.c"; }
const wchar_t *get_wide_1(void) { return L"wide literal"; }
/* A pointer into the middle of a mergeable string (relocation addend). */
const char *const mid_pointer_1 = "skip this part|keep this part" + 15;
int same_within_file_1(void)
{
    const char *a = "duplicate inside s1.c";
    const char *b = "duplicate inside s1.c";
    return a == b && get_shared_1() == get_shared_1();
}
