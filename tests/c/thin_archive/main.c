/* thin_archive: members of a thin archive (ar rcsT: the archive stores only
 * paths) are found relative to the archive; laziness still applies. */
#include <stdio.h>

const char *thin_one(void);
int thin_two(int);

int main(void)
{
    printf("%s, %d\n", thin_one(), thin_two(20));
    return 0;
}
