__attribute__((weak)) int overridden_fn(void) { return 1; }
__attribute__((weak)) int default_fn(void) { return 2; }
__attribute__((weak)) int overridden_var = 10;
__attribute__((weak)) int default_var = 20;

int real_impl(void) { return 7; }
int strong_alias(void) __attribute__((alias("real_impl")));
int weak_alias(void) __attribute__((weak, alias("real_impl")));
