#include <string.h>
#include "../common.h"

/* Split on spaces; at most 15 characters per token. */
int parse_rpn(const char *text, char tokens[][16], int max) {
    int n = 0;
    while (*text && n < max) {
        while (*text == ' ')
            text++;
        if (!*text)
            break;
        size_t len = strcspn(text, " ");
        if (len > 15)
            len = 15;
        memcpy(tokens[n], text, len);
        tokens[n][len] = 0;
        n++;
        text += strcspn(text, " ");
    }
    return n;
}
