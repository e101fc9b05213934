set -e
echo "plain:"; LD_LIBRARY_PATH=plain ./prog
echo "-Bsymbolic:"; LD_LIBRARY_PATH=symbolic ./prog
