#include <wchar.h>
const char *get_shared_4(void) { return "a string literal shared by many files"; }
const char *get_suffix_4(void) { return "shared by many files"; }
const char *get_own_4(void) { return "only in s4.c"; }
const wchar_t *get_wide_4(void) { return L"wide literal"; }
/* A pointer into the middle of a mergeable string (relocation addend). */
const char *const mid_pointer_4 = "skip this part|keep this part" + 15;
int same_within_file_4(void)
{
    const char *a = "duplicate inside s4.c";
    const char *b = "duplicate inside s4.c";
    return a == b && get_shared_4() == get_shared_4();
}
