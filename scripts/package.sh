#!/usr/bin/env bash
# Builds the release artifact (SPEC 13) from this checkout:
#   dist/roomsync-VERSION-linux-ARCH.tar.gz   roomsync-VERSION-linux-ARCH/{roomsync,README.md,LICENSE}
#   dist/roomsync-VERSION-linux-ARCH.tar.gz.sha256
# The binary is a release build with the Swift runtime and Foundation linked in (--static-swift-stdlib) and
# libyaml, zlib and libstdc++ linked statically, stripped: it needs nothing but the C library family (glibc, and
# GCC's libgcc_s, which glibc itself loads to unwind), so it runs where neither Swift nor libyaml is installed.
# The script checks that with the binary's dynamic section and fails otherwise.
#
# Usage: scripts/package.sh [OUTDIR]      (default dist/; needs Swift, libyaml-dev, zlib1g-dev, pkg-config, git)
#   SCRATCH=DIR   the build folder (default .build-release, kept between runs so a second run is incremental)
# Prints the tarball's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
scratch=${SCRATCH:-.build-release}
fail() { echo "package: $*" >&2; exit 1; }

# The commit `--version` names, with "-dirty" when tracked files differ from it, so such a binary never passes
# for the commit's.
commit=$(git rev-parse --short=12 HEAD) || fail "not a git checkout: the binary must name its commit"
if ! git diff --quiet HEAD --; then commit="$commit-dirty"; fi

# libyaml, zlib (which swift-nio-extras links) and libstdc++ (which the Swift runtime links) statically: SwiftPM
# links with `-lyaml` (from `pkg-config --libs yaml-0.1` and the module map's `link "yaml"`), `-lz` and `-lstdc++`.
# A pkg-config file of our own for yaml-0.1 puts first on the linker's search path a folder that holds only the
# archives, so each of those finds its archive and never the shared library beside it.
libdir=$(pkg-config --variable=libdir yaml-0.1) || fail "libyaml-dev is not installed (pkg-config yaml-0.1)"
static="$PWD/$scratch/static-libs"
rm -rf "$static"
mkdir -p "$static/lib" "$static/pkgconfig"
for archive in "$libdir/libyaml.a" "$(pkg-config --variable=libdir zlib 2>/dev/null || echo "$libdir")/libz.a" \
    "$(clang -print-file-name=libstdc++.a)"; do
    [ -f "$archive" ] || fail "no $archive (libyaml-dev, zlib1g-dev and libstdc++-dev ship the archives)"
    ln -s "$archive" "$static/lib/"
done
cat > "$static/pkgconfig/yaml-0.1.pc" <<PC
Name: LibYAML
Description: libyaml, linked statically by scripts/package.sh
Version: $(pkg-config --modversion yaml-0.1)
Cflags: $(pkg-config --cflags yaml-0.1)
Libs: -L$static/lib -lyaml
PC

echo "package: building roomsync at $commit (release, static Swift runtime and libyaml) in $scratch" >&2
ROOMSYNC_COMMIT=$commit PKG_CONFIG_PATH="$static/pkgconfig" \
    swift build -c release --static-swift-stdlib --product roomsync --scratch-path "$scratch"
binary="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/roomsync"

# The version is the built binary's own: one source (BuildInfo.swift), and a tarball named after what it says.
version_line=$("$binary" --version)
version=${version_line%% *}
[ "$version_line" = "$version (commit $commit)" ] || fail "the binary says '$version_line', expected '$version (commit $commit)'"

# Only the C library family may be loaded at run time.
needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for library in $needed; do
    case "$library" in
        libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libutil.so.*|ld-linux*.so.*) ;;
        libgcc_s.so.*) ;;
        *) fail "the binary needs $library; only the C library family is allowed (readelf -d $binary)" ;;
    esac
done

case "$(uname -m)" in
    x86_64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) arch=$(uname -m) ;;
esac
name="roomsync-$version-linux-$arch"
stage="$scratch/package/$name"
rm -rf "$scratch/package"
mkdir -p "$stage" "$out"
strip -o "$stage/roomsync" "$binary"
cp README.md LICENSE "$stage/"
# Reproducible: fixed owner, order and times (the commit's), so the same commit gives the same checksum.
mtime=$(git log -1 --format=%cI HEAD)
tarball="$out/$name.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -C "$scratch/package" -cf - "$name" \
    | gzip -n -9 > "$tarball"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "package: $(du -h "$stage/roomsync" | cut -f1) binary, needs: $(echo $needed)" >&2
echo "$tarball"
