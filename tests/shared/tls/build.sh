# One library per TLS access model, each used by the same threaded program.
set -e
$CC -O2 -c "$SRC/prog.c"
for m in gd:-O0 ld:-O2 ie:-O2_-ftls-model=initial-exec desc:-O2_-mtls-dialect=gnu2 desc0:-O0_-mtls-dialect=gnu2; do
    name=${m%%:*}; flags=$(echo "${m#*:}" | tr _ ' ')
    mkdir -p $name
    $CC $flags -fPIC -c "$SRC/lib.c" -o $name/lib.o
    $LINK -shared $name/lib.o -o $name/libtlsx.so
    $LINK prog.o -L$name -ltlsx -pthread -Wl,-rpath,'$ORIGIN'/$name -o prog_$name
done
