/* argv_environ: argc/argv and the environment as the kernel and the start
 * files hand them to main (the harness runs it with fixed args and a cleared
 * environment holding only the variables from build.conf). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
    printf("argc = %d\n", argc);
    /* argv[0] is the path of the binary, which differs between runs. */
    printf("argv[0] set: %s\n", argv[0] && argv[0][0] ? "yes" : "no");
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    printf("argv[argc] == NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    printf("envp == environ: %s\n", envp == environ ? "yes" : "no");

    int n = 0;
    while (environ[n])
        n++;
    printf("environ entries: %d\n", n);
    char **copy = malloc(sizeof(char *) * (n + 1));
    memcpy(copy, environ, sizeof(char *) * (n + 1));
    qsort(copy, n, sizeof(char *), cmp_str);
    for (int i = 0; i < n; i++)
        printf("env: %s\n", copy[i]);
    free(copy);
    /* envp follows argv on the initial stack. */
    printf("envp == argv + argc + 1: %s\n", envp == argv + argc + 1 ? "yes" : "no");
    return argc;
}
