/* Defines a symbol main.c already defines: linking this member would be a
 * duplicate definition. */
int main_helper(void) { return 2; }
