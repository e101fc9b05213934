/* getenv: getenv/setenv/unsetenv against a fixed environment. */
#include <stdio.h>
#include <stdlib.h>

static void show(const char *name)
{
    const char *v = getenv(name);
    printf("%s = %s\n", name, v ? v : "(unset)");
}

int main(void)
{
    show("CLD_GREETING");
    show("CLD_NUMBER");
    show("CLD_NOT_SET");
    int n = atoi(getenv("CLD_NUMBER"));
    printf("CLD_NUMBER * 2 = %d\n", n * 2);
    setenv("CLD_NEW", "created", 0);
    show("CLD_NEW");
    setenv("CLD_GREETING", "replaced", 1);
    show("CLD_GREETING");
    setenv("CLD_NUMBER", "not replaced", 0);
    show("CLD_NUMBER");
    unsetenv("CLD_NEW");
    show("CLD_NEW");
    return 0;
}
