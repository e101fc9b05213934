/* Shared by both programs of the make-project example. */
#ifndef COMMON_H
#define COMMON_H
#include <stddef.h>

/* calc */
typedef struct {
    double v[64];
    int n;
} Stack;
void stack_push(Stack *s, double x);
double stack_pop(Stack *s);
int parse_rpn(const char *text, char tokens[][16], int max);
int eval_rpn(char tokens[][16], int n, double *out);
const char *format_number(double x, char *buf, size_t size);
extern const char *const calc_version;

/* greet */
const char *greeting_for(int hour);
const char *name_at(int i);
int name_count(void);
#endif
