#include <wchar.h>
const char *get_shared_3(void) { return "a string literal shared by many files"; }
const char *get_suffix_3(void) { return "shared by many files"; }
const char *get_own_3(void) { return "only in s3.c"; }
const wchar_t *get_wide_3(void) { return L"wide literal"; }
/* A pointer into the middle of a mergeable string (relocation addend). */
const char *const mid_pointer_3 = "skip this part|keep this part" + 15;
int same_within_file_3(void)
{
    const char *a = "duplicate inside s3.c";
    const char *b = "duplicate inside s3.c";
    return a == b && get_shared_3() == get_shared_3();
}
