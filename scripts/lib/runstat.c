/*
 * runstat OUT CMD [ARGS...]: run CMD, wait for it, and write one line to OUT:
 *
 *     WALL_US MAXRSS_KIB USER_US SYS_US
 *
 * wall time from fork to the end of wait4 (CLOCK_MONOTONIC); the rest from
 * wait4's rusage of CMD, which includes every descendant CMD waited for
 * (for `gcc ...`: collect2 and the linker): ru_maxrss is the largest single
 * process (what GNU time's %M reports), user and system time are summed.
 * GNU time prints CPU time in centiseconds only, too coarse for 10 ms links.
 * Exits with CMD's exit status (128+N if killed by signal N, 127 if it
 * could not be run). Used by scripts/lib/measure.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long us(struct timeval tv) { return (long long)tv.tv_sec * 1000000 + tv.tv_usec; }

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: runstat OUT CMD [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("runstat: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("runstat: wait4");
		return 127;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 127;
	}
	fprintf(out, "%lld %ld %lld %lld\n",
	        (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000,
	        ru.ru_maxrss, us(ru.ru_utime), us(ru.ru_stime));
	fclose(out);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
