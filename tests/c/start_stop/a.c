#include "items.h"
REGISTER_ITEM(apple, 3);
REGISTER_ITEM(banana, 5);
static int hook_a(void) { return 1; }
REGISTER_HOOK(hook_a);
