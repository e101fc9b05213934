int counter = 1;

int twice(int x) {
    return 2 * x;
}

const char *greeting(void) {
    return "hello through the GOT";
}
