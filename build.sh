#!/bin/sh
# build.sh - set up, build and run rebal. The two commands a newcomer types:
#   ./build.sh demo   install what is missing, build (release), run the demo on bundled data
#   ./build.sh test   install what is missing, build with -Werror, run every test suite
#                     (the Python package's pytest suite and the MPI sweeps included)
# More: ./build.sh asan (the suites, MPI's too, under AddressSanitizer + UBSan), ./build.sh bench,
# ./build.sh bench-native (the sweep benchmark built with -march=native, in build-native),
# ./build.sh fuzz [SECONDS] (each libFuzzer target for SECONDS, default 60, in build-fuzz;
# needs clang), ./build.sh valgrind (one CLI path under valgrind's memcheck, in
# build-valgrind), ./build.sh build (just build), ./build.sh clean.
set -eu
cd "$(dirname "$0")"

usage() {
    sed -n '2,9s/^# \{0,1\}//p' "$0"
}

# configure DIR [meson options...]: sets up DIR once, re-applies options on later runs.
configure() {
    dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@"
    fi
}

# run_suites DIR LABEL: runs the suites and prints the plain "N passed, N failed" line.
run_suites() {
    status=0
    meson test -C "$1" --print-errorlogs --num-processes 2 || status=$?
    scripts/test-summary "$1" "$2" || true
    return $status
}

cmd=${1:-}
case "$cmd" in
    demo)
        # Only the library and the command: the test suites and benchmarks are built by
        # ./build.sh test (in build-test) and ./build.sh bench when asked for.
        scripts/setup-deps
        configure build -Dbuildtype=release -Dwerror=false
        meson compile -C build cli/rebal
        ./build/cli/rebal demo
        ;;
    build)
        scripts/setup-deps
        configure build -Dbuildtype=release -Dwerror=false
        meson compile -C build
        ;;
    test)
        # The Python package and its pytest suite too (python/; Debian's /usr/bin/python3), and
        # rebal built with MPI, whose sweeps across ranks the mpi suite runs (docs/mpi.md), and
        # headless Chromium for the report page's layout test.
        scripts/setup-deps python mpi browser
        configure build-test -Dbuildtype=debugoptimized -Dwerror=true -Dpython=enabled -Dmpi=enabled
        meson compile -C build-test
        run_suites build-test test
        ;;
    asan)
        # With MPI, so that the mpi suite runs under the sanitizers too (Open MPI's own leaks
        # are suppressed for it by tests/lsan-mpi.supp).
        scripts/setup-deps mpi
        configure build-asan -Dbuildtype=debug -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dmpi=enabled
        meson compile -C build-asan
        run_suites build-asan asan
        ;;
    bench)
        scripts/setup-deps
        configure build -Dbuildtype=release -Dwerror=false
        meson compile -C build
        meson test -C build --benchmark --verbose
        ;;
    bench-native)
        # The sweep benchmark with code for this CPU only, limit.c built the same way.
        scripts/setup-deps
        configure build-native -Dbuildtype=release -Dwerror=false -Dnative=true -Dtests=false -Dpython=disabled
        meson compile -C build-native
        meson test -C build-native --benchmark --verbose sweep
        ;;
    valgrind)
        # memcheck cannot replace malloc in a static binary: this rebal links the shared
        # libraries. No test suites: scripts/valgrind-smoke runs the command itself.
        scripts/setup-deps valgrind
        rm -f build-valgrind/test-summary.txt
        configure build-valgrind -Dbuildtype=debugoptimized -Dwerror=false -Dstatic_cli=disabled -Dtests=false -Dpython=disabled
        meson compile -C build-valgrind cli/rebal
        scripts/valgrind-smoke build-valgrind
        ;;
    fuzz)
        # The fuzz targets of tests/fuzz, built by clang with libFuzzer, AddressSanitizer and
        # UBSan in their own build directory; the corpora they grow and what they find stay
        # there (tests/fuzz/run-all). Fails when any target finds something.
        seconds=${2:-60}
        case "$seconds" in
            '' | *[!0-9]* | 0)
                echo "build.sh fuzz: SECONDS must be a whole number of seconds above 0, not '$seconds'" >&2
                exit 2
                ;;
        esac
        scripts/setup-deps fuzz
        export CC=clang
        configure build-fuzz -Dfuzz=true -Dtests=false -Dpython=disabled -Dbuildtype=debugoptimized -Dwerror=false \
            -Db_sanitize=address,undefined -Db_lundef=false
        meson compile -C build-fuzz fuzz_csv fuzz_date fuzz_sweep fuzz_cli
        tests/fuzz/run-all build-fuzz "$seconds"
        ;;
    clean)
        rm -rf build build-test build-asan build-native build-fuzz build-valgrind rebal-demo
        ;;
    -h | --help | help)
        usage
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
