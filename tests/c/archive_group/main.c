/* archive_group: two archives that reference each other in a cycle
 * (liba -> libb -> liba -> libb), resolvable only with --start-group. */
#include <stdio.h>

int a_entry(int x);

int main(void)
{
    printf("a_entry(1) = %d\n", a_entry(1));
    return 0;
}
