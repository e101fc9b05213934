#include "../common.h"

static const char *const names[] = {"Ada", "Grace", "Linus"};

const char *name_at(int i) { return names[i % 3]; }
int name_count(void) { return 3; }
