set -e
$CC -O2 -fPIC -c "$SRC/lib.c"
$CC -O2 -c "$SRC/prog.c"
mkdir -p plain symbolic
$LINK -shared lib.o -o plain/libip.so
$LINK -shared lib.o -Wl,-Bsymbolic -o symbolic/libip.so
$LINK prog.o -Lplain -lip -o prog
