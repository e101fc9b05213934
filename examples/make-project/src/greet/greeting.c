#include "../common.h"

const char *greeting_for(int hour) {
    if (hour < 12)
        return "Good morning";
    if (hour < 18)
        return "Good afternoon";
    return "Good evening";
}
