int bar;
int two(void) { return 2; }
