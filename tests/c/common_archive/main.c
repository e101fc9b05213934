/* common_archive: GNU ld's rules for common symbols and archives (-fcommon).
 * A common `foo` is replaced by an archive member's initialized definition
 * (the member is loaded); a member that only has another common `bar` is not
 * loaded for it (so its two() stays unlinked); an undefined `baz` loads the
 * member with its common definition. */
#include <stdio.h>
int foo;
int bar;
extern int baz;
__attribute__((weak)) int two(void);
int main(void)
{
    printf("%d %d %d %d\n", foo, bar, baz, two ? two() : -1);
    return 0;
}
