#include <wchar.h>
const char *get_shared_2(void) { return "a string literal shared by many files"; }
const char *get_suffix_2(void) { return "shared by many files"; }
const char *get_own_2(void) { return "only in s2.c"; }
const wchar_t *get_wide_2(void) { return L"wide literal"; }
/* A pointer into the middle of a mergeable string (relocation addend). */
const char *const mid_pointer_2 = "skip this part|keep this part" + 15;
int same_within_file_2(void)
{
    const char *a = "duplicate inside s2.c";
    const char *b = "duplicate inside s2.c";
    return a == b && get_shared_2() == get_shared_2();
}
