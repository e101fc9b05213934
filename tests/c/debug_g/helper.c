/* Part of debug_g; see main.c. */
static int weight(int i) { return (i % 3) + 1; }

int compute_checksum(const char *s, int len) { /* FUNC_START */
    int sum = 0;
    for (int i = 0; i < len; i++) {
        sum += s[i] * weight(i); /* BREAK_HERE */
    }
    return sum;
}
