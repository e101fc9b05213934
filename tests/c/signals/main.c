/* signals: handlers installed with sigaction and signal, raise/kill, a
 * blocked signal delivered when unblocked, SA_SIGINFO data. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count, usr2_count, info_code, handled_total;

static void on_usr1(int sig)
{
    if (sig == SIGUSR1)
        usr1_count++;
    handled_total++;
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_count++;
    handled_total++;
}

static void on_info(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    info_code = (si->si_signo == sig && si->si_pid == getpid()) ? 1 : -1;
    handled_total++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, on_usr2);

    raise(SIGUSR1);
    raise(SIGUSR1);
    kill(getpid(), SIGUSR2);
    printf("usr1 handled %d times, usr2 %d times\n", (int)usr1_count, (int)usr2_count);

    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    sigpending(&pending);
    printf("while blocked: usr2 count %d, pending: %s\n", (int)usr2_count,
           sigismember(&pending, SIGUSR2) ? "yes" : "no");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("after unblock: usr2 count %d\n", (int)usr2_count);

    sa.sa_handler = NULL;
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGHUP, &sa, NULL);
    kill(getpid(), SIGHUP);
    printf("SA_SIGINFO handler: %s\n", info_code == 1 ? "ok" : "bad");

    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    printf("ignored signal did not run handler: %s\n", usr1_count == 2 ? "yes" : "no");
    return handled_total;
}
