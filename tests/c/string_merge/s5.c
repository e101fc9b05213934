#include <wchar.h>
const char *get_shared_5(void) { return "a string literal shared by many files"; }
const char *get_suffix_5(void) { return "shared by many files"; }
const char *get_own_5(void) { return "only in s5.c"; }
const wchar_t *get_wide_5(void) { return L"wide literal"; }
/* A pointer into the middle of a mergeable string (relocation addend). */
const char *const mid_pointer_5 = "skip this part|keep this part" + 15;
int same_within_file_5(void)
{
    const char *a = "duplicate inside s5.c";
    const char *b = "duplicate inside s5.c";
    return a == b && get_shared_5() == get_shared_5();
}
