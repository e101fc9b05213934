/* symver_ref: a reference bound to an old symbol version. realpath@GLIBC_2.2.5
 * is glibc's old realpath, which rejects a NULL buffer with EINVAL; the
 * default realpath@@GLIBC_2.3 allocates one. The output's version tables
 * (.gnu.version, .gnu.version_r) decide which one the dynamic linker binds.
 * Dynamic modes only: static libc.a has no symbol versions. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *old_realpath(const char *path, char *resolved);
__asm__(".symver old_realpath, realpath@GLIBC_2.2.5");

int main(void)
{
    errno = 0;
    char *r = old_realpath("/", NULL);
    printf("old realpath(\"/\", NULL): %s, errno == EINVAL: %s\n", r ? r : "NULL",
           errno == EINVAL ? "yes" : "no");
    char buf[PATH_MAX];
    r = old_realpath("/", buf);
    printf("old realpath(\"/\", buf): %s\n", r ? r : "NULL");
    char *n = realpath("/", NULL);
    printf("default realpath(\"/\", NULL): %s\n", n ? n : "NULL");
    free(n);
    return 0;
}
