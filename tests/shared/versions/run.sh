set -e
echo "old program, new library:"; LD_LIBRARY_PATH=n ./prog_old
echo "new program, new library:"; LD_LIBRARY_PATH=n ./prog_new
echo "old program, old library:"; LD_LIBRARY_PATH=o ./prog_old
echo "exported functions:"; readelf --dyn-syms -W n/libv.so | awk '$4 == "FUNC" && $7 != "UND" {print $5, $8}' | sort
echo "local helper exported: $(readelf --dyn-syms -W n/libv.so | grep -c internal_helper || true)"
echo "versions defined:"; readelf -VW n/libv.so | sed -n '/version_d/,/version_r/p' | grep -o 'Name: [A-Za-z0-9_.]*' | sort
echo "old program needs:"; readelf -VW prog_old | grep -o 'Name: V[0-9]*'
echo "new program needs:"; readelf -VW prog_new | grep -o 'Name: V[0-9]*'
