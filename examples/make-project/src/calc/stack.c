#include "../common.h"

void stack_push(Stack *s, double x) {
    if (s->n < 64)
        s->v[s->n++] = x;
}

double stack_pop(Stack *s) {
    return s->n > 0 ? s->v[--s->n] : 0.0;
}
