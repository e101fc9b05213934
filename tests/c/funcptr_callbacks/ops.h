typedef int (*binop)(int, int);
struct op {
    const char *name;
    binop fn;
};
extern const struct op op_table[];
extern const int op_count;
binop lookup_op(const char *name);
int op_max(int a, int b);

typedef void (*callback)(int value, void *user);
void register_callback(callback cb, void *user);
int run_callbacks(int value);
int compare_desc(const void *a, const void *b);
