#include <stdio.h>
#include "../common.h"

static const char *const programs[] = {
    "3 4 + 2 *",
    "2 0.5 ^ 10 *",
    "1 2 3 4 5 + + + +",
    "9 sqrt 7 -",
};

int main(int argc, char **argv) {
    char tokens[32][16];
    char buf[64];
    int first = argc > 1 ? 1 : 0;
    int last = argc > 1 ? argc : (int)(sizeof programs / sizeof *programs);
    printf("calc %s\n", calc_version);
    for (int i = first; i < last; i++) {
        const char *text = argc > 1 ? argv[i] : programs[i];
        double r;
        int n = parse_rpn(text, tokens, 32);
        if (eval_rpn(tokens, n, &r) != 0) {
            printf("%s = error\n", text);
            continue;
        }
        printf("%s = %s\n", text, format_number(r, buf, sizeof buf));
    }
    return 0;
}
