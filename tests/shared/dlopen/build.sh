set -e
$CC -O2 -fPIC -c "$SRC/plugin.c"
$CC -O2 -c "$SRC/prog.c"
$LINK -shared plugin.o -o libplugin.so
$LINK prog.o -rdynamic -ldl -o prog
