#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../common.h"

int eval_rpn(char tokens[][16], int n, double *out) {
    Stack s = {.n = 0};
    for (int i = 0; i < n; i++) {
        const char *t = tokens[i];
        if (strcmp(t, "sqrt") == 0) {
            if (s.n < 1)
                return -1;
            stack_push(&s, sqrt(stack_pop(&s)));
        } else if (strlen(t) == 1 && strchr("+-*/^", t[0])) {
            if (s.n < 2)
                return -1;
            double b = stack_pop(&s), a = stack_pop(&s);
            switch (t[0]) {
            case '+': stack_push(&s, a + b); break;
            case '-': stack_push(&s, a - b); break;
            case '*': stack_push(&s, a * b); break;
            case '/': stack_push(&s, a / b); break;
            default: stack_push(&s, pow(a, b)); break;
            }
        } else {
            stack_push(&s, strtod(t, NULL));
        }
    }
    if (s.n != 1)
        return -1;
    *out = stack_pop(&s);
    return 0;
}
