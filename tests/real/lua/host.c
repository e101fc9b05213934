/*
 * A small program embedding Lua 5.4, used by cld's real-code tests
 * (ld-core/tests/real_code.rs).
 *
 *   host SCRIPT [ARGS...]
 *
 * Runs SCRIPT with the standard libraries, with ARGS in the global table
 * `arg` (arg[0] = SCRIPT, arg[1..] = ARGS).  If the script returns an
 * integer, that is the exit status; otherwise the status is 0.  An error
 * (syntax or runtime) is reported on stderr with a traceback, status 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "host: cannot create Lua state\n");
        return 1;
    }
    luaL_openlibs(L);

    lua_createtable(L, argc - 2, 1);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");

    int status = 0;
    lua_pushcfunction(L, traceback);
    int handler = lua_gettop(L);
    if (luaL_loadfile(L, argv[1]) != LUA_OK) {
        fprintf(stderr, "host: %s\n", lua_tostring(L, -1));
        status = 1;
    } else if (lua_pcall(L, 0, 1, handler) != LUA_OK) {
        fprintf(stderr, "host: %s\n", lua_tostring(L, -1));
        status = 1;
    } else if (lua_isinteger(L, -1)) {
        status = (int)lua_tointeger(L, -1);
    }
    fflush(stdout);
    lua_close(L);
    return status;
}
