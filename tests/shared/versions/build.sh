# A library with two versions of one symbol (foo@V1 and foo@@V2, from
# .symver) and a version script; an old program built against the V1-only
# library and a new one built against the new library.
set -e
$CC -fPIC -c "$SRC/old.c" "$SRC/new.c"
$CC -c "$SRC/prog.c"
mkdir -p o n
$LINK -shared old.o -Wl,--version-script="$SRC/old.map" -Wl,-soname,libv.so -o o/libv.so
$LINK -shared new.o -Wl,--version-script="$SRC/new.map" -Wl,-soname,libv.so -o n/libv.so
$LINK prog.o -Lo -lv -o prog_old
$LINK prog.o -Ln -lv -o prog_new
