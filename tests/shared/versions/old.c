int foo(void) { return 1; }
int bar(void) { return 10; }
int internal_helper(void) { return 99; }
