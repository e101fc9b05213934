#include <stdio.h>
int foo(void); int bar(void);
int main(void) { printf("foo=%d bar=%d\n", foo(), bar()); return 0; }
