int overridden_fn(void) { return 100; }
int overridden_var = 1000;
int weak_alias(void) { return 70; }
