#include <stdio.h>
int only_in_archive_var = 5;
int only_in_archive(void) { return 5; }
__attribute__((constructor)) static void archive_ctor(void) { puts("BUG: archive member was linked in"); }
