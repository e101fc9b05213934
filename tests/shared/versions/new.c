int foo_v1(void) { return 1; }
int foo_v2(void) { return 2; }
__asm__(".symver foo_v1, foo@V1");
__asm__(".symver foo_v2, foo@@V2");
int bar(void) { return 10; }
int baz(void) { return 20; }
int internal_helper(void) { return 99; }
