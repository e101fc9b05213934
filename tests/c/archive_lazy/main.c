/* archive_lazy: only archive members that resolve an undefined symbol are
 * linked. chained.c precedes used.c in the archive but is needed only by
 * used.c (the archive must be rescanned); unused.c has a constructor that must
 * not run; unused2.c would clash with main_helper if it were linked. */
#include <stdio.h>

int used_function(int x);
extern void unused_function(void) __attribute__((weak));
extern int unused_data __attribute__((weak));

int main_helper(void) { return 1; }

int main(void)
{
    printf("used_function(5) = %d\n", used_function(5));
    printf("unused member linked: %s\n",
           unused_function || &unused_data ? "yes (BUG)" : "no");
    printf("main_helper() = %d\n", main_helper());
    return 0;
}
