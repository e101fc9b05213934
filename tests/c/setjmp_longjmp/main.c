/* setjmp_longjmp: longjmp out of a recursion in another object, longjmp with
 * value 0 (becomes 1), sigsetjmp/siglongjmp restoring the signal mask. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

jmp_buf env;
extern int depth_reached;
void deep(int n);

static sigjmp_buf senv;

int main(void)
{
    volatile int local = 1;
    int r = setjmp(env);
    if (r == 0) {
        local = 2;
        deep(5);
    }
    printf("setjmp returned %d, local = %d, depth = %d\n", r, local, depth_reached);

    volatile int rounds = 0;
    r = setjmp(env);
    if (rounds++ < 3)
        longjmp(env, 0);
    printf("longjmp(env, 0) made setjmp return %d after %d rounds\n", r, rounds);

    sigset_t set;
    sigemptyset(&set);
    if (sigsetjmp(senv, 1) == 0) {
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        siglongjmp(senv, 7);
    }
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("after siglongjmp SIGUSR1 blocked: %s\n", sigismember(&set, SIGUSR1) ? "yes" : "no");
    return 0;
}
