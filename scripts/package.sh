#!/usr/bin/env bash
# Builds hupwatch_<version>_<arch>.deb (CPack's DEB generator; Depends from
# dpkg-shlibdeps) from the build directory ($HUPWATCH_BUILD_DIR or ./build),
# building first what it packages if out of date (the binary and its man
# page; not the tests or benchmarks), and checks it with lintian. Prints the
# path of the package on stdout. HUPWATCH_NO_LINTIAN=1 skips lintian.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HUPWATCH_BUILD_DIR:-build}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  ./scripts/build.sh >&2
else
  cmake --build "$build_dir" -j"$(nproc)" --target hupwatch hupwatch_package_docs >/dev/null
fi
for tool in help2man dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "package.sh: $tool is missing: run scripts/install-deps.sh as root" >&2; exit 1; }
done
# cpack runs the install rules into its own staging tree; nothing outside
# the build directory is touched.
(cd "$build_dir" && cpack -G DEB -C RelWithDebInfo >cpack.log 2>&1) ||
  { tail -20 "$build_dir/cpack.log" >&2; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build_dir/CMakeCache.txt")
deb="$build_dir/hupwatch_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "package.sh: cpack made no $deb" >&2; exit 1; }
if [ "${HUPWATCH_NO_LINTIAN:-}" != 1 ]; then
  command -v lintian >/dev/null || { echo "package.sh: lintian is missing: run scripts/install-deps.sh as root" >&2; exit 1; }
  # Errors fail the package; warnings are printed for the packager.
  if ! lintian --fail-on error "$deb" >&2; then
    echo "package.sh: lintian reports errors in $deb" >&2
    exit 1
  fi
fi
realpath "$deb"
