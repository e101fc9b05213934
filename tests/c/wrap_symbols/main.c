/* wrap_symbols: --wrap=SYM sends undefined references to SYM to
 * __wrap_SYM and undefined references to __real_SYM to SYM. The wrappers
 * live in an archive member that only the renamed references pull in; a
 * definition's own references are not renamed. */
#include <stdio.h>
#include <stdlib.h>

int compute(int x);            /* wrapped; defined in compute.c */
int wrapped_calls(void);

int main(void)
{
    char *volatile p = malloc(16); /* wrapped: a libc function */
    p[0] = 'x';
    printf("%c\n", p[0]);
    free(p);
    int c = compute(5);
    printf("compute(5)=%d wrapped_calls=%d\n", c, wrapped_calls());
    return 0;
}
