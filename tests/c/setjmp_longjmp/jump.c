#include <setjmp.h>
#include <stdio.h>

extern jmp_buf env;
int depth_reached;

void deep(int n)
{
    depth_reached++;
    if (n < 0)
        return;
    if (n == 0)
        longjmp(env, 42);
    deep(n - 1);
    puts("BUG: returned normally from deep()");
}
