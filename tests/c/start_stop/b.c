#include "items.h"
REGISTER_ITEM(cherry, 7);
REGISTER_ITEM(date, 11);
REGISTER_ITEM(elderberry, 13);
static int hook_b(void) { return 20; }
static int hook_b2(void) { return 300; }
REGISTER_HOOK(hook_b);
REGISTER_HOOK(hook_b2);
