/* memory_protection: segment permissions. Writes to string literals, to code
 * and to relocated constant data (.data.rel.ro under PT_GNU_RELRO in PIE
 * outputs, .rodata otherwise) must fault; .data, .bss and .tdata must be
 * writable; the stack must not be executable (PT_GNU_STACK). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf env;

static void on_fault(int sig)
{
    siglongjmp(env, sig);
}

static int write_faults(volatile char *p)
{
    if (sigsetjmp(env, 1) == 0) {
        char old = *p;
        *p = old;   /* same value: harmless if it does not fault */
        return 0;
    }
    return 1;
}

int global_data = 1;
int global_bss;
__thread int tls_data = 5;
const char *const relro_table[] = { "one", "two", "three" };
extern int text_function(int);

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    printf("string literal read-only: %s\n", write_faults((volatile char *)"literal") ? "yes" : "no");
    printf("code read-only: %s\n", write_faults((volatile char *)text_function) ? "yes" : "no");
    printf("relocated const table read-only: %s\n",
           write_faults((volatile char *)&relro_table[1]) ? "yes" : "no");
    global_data = text_function(global_data);
    global_bss = 7;
    tls_data++;
    printf("data/bss/tls writable: %d %d %d\n", global_data, global_bss, tls_data);

    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512], perms[8] = "?";
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "[stack]"))
            sscanf(line, "%*s %7s", perms);
    if (maps)
        fclose(maps);
    printf("stack executable: %s\n", perms[2] == 'x' ? "yes" : perms[2] == '-' ? "no" : "unknown");
    printf("%s\n", relro_table[2]);
    return 0;
}
