set -e
for m in gd ld ie desc desc0; do echo "== $m"; ./prog_$m; done
