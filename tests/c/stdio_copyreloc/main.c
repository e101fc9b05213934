/* stdio_copyreloc: the executable references libc data objects directly:
 * stdout, stderr, environ, and getopt's optind/optarg/opterr. In a non-PIE
 * dynamic executable these become copy relocations, and libc must then use
 * the executable's copies (getopt writes optind/optarg inside libc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    fprintf(stdout, "fprintf(stdout) works\n");
    fputs("this goes to stderr\n", stderr);
    fflush(stdout);
    printf("stdout != stderr: %s, fileno(stdout) = %d, fileno(stderr) = %d\n",
           stdout != stderr ? "yes" : "no", fileno(stdout), fileno(stderr));
    printf("environ[0] = %s, environ[1] == NULL: %s\n", environ[0],
           environ[1] == NULL ? "yes" : "no");
    setenv("CLD_ADDED", "1", 1);
    printf("environ updated by setenv: %s\n",
           (environ[0] && environ[1] && environ[2] == NULL) ? "yes" : "no");

    opterr = 0;
    int c;
    printf("optind before getopt: %d\n", optind);
    while ((c = getopt(argc, argv, "ab:c")) != -1) {
        if (c == 'b')
            printf("option b with optarg \"%s\", optind now %d\n", optarg, optind);
        else if (c == '?')
            printf("unknown option '%c' (optopt)\n", optopt);
        else
            printf("option %c, optind now %d\n", c, optind);
    }
    printf("optind after getopt: %d, remaining:", optind);
    for (int i = optind; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    return optind;
}
