#!/usr/bin/env bash
# install-deps.sh installs what gridsentry needs from the system's packages: a
# PostgreSQL server and PostGIS 3 for it, GDAL's ogrinfo (gdal-bin), which
# the tile tests read vector tiles with, Node.js and npm, which build the
# console, and Chromium with a CJK font, which its end-to-end tests drive. It is idempotent, and quick (no
# apt-get update) when all are there. As root on Debian or Ubuntu it installs
# what is missing; otherwise it says what to install and exits 1.
#
# It looks for the server where package postgres/cluster does:
# $GRIDSENTRY_PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/*/bin
# (newest first), then initdb on the PATH.
set -euo pipefail

say() { printf 'install-deps: %s\n' "$*" >&2; }

has_server() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }

# server_bindir prints the directory of the PostgreSQL server binaries, if any.
server_bindir() {
	local d
	if [ -n "${GRIDSENTRY_PG_BINDIR:-}" ]; then
		has_server "$GRIDSENTRY_PG_BINDIR" && echo "$GRIDSENTRY_PG_BINDIR"
		return 0
	fi
	d=$(pg_config --bindir 2>/dev/null || true)
	if [ -n "$d" ] && has_server "$d"; then echo "$d"; return 0; fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -V -r); do
		if has_server "$d"; then echo "$d"; return 0; fi
	done
	d=$(command -v initdb 2>/dev/null || true)
	if [ -n "$d" ] && has_server "$(dirname "$d")"; then dirname "$d"; fi
}

# major_version prints the major version of the server in bin directory $1.
major_version() { "$1/pg_ctl" --version | sed -n 's/.*(PostgreSQL) \([0-9][0-9]*\).*/\1/p'; }

# has_postgis reports whether PostGIS is installed for the server in $1, of major version $2.
has_postgis() {
	local share
	share=$("$1/pg_config" --sharedir 2>/dev/null || true)
	for share in "$share" "/usr/share/postgresql/$2" "$1/../share/postgresql" "$1/../share"; do
		[ -n "$share" ] && [ -f "$share/extension/postgis.control" ] && return 0
	done
	return 1
}

# distro_version prints the major version of the distribution's postgresql package.
distro_version() {
	apt-cache show --no-all-versions postgresql 2>/dev/null |
		sed -n 's/^Depends:.*postgresql-\([0-9][0-9]*\).*/\1/p' | head -n 1
}

if [ -n "${GRIDSENTRY_PG_BINDIR:-}" ] && ! has_server "$GRIDSENTRY_PG_BINDIR"; then
	say "GRIDSENTRY_PG_BINDIR=$GRIDSENTRY_PG_BINDIR does not hold initdb, pg_ctl and postgres"
	exit 1
fi

# extra are the other packages the build and the tests need, added to the
# packages below: GDAL's ogrinfo (the tile tests read tiles with it),
# Node.js and npm (the console is built with them), Chromium and a CJK font
# (the console's end-to-end tests drive Debian's Chromium and check that
# Chinese renders). gdal keeps its name: the messages below say what is
# missing.
extra=
need() { # need PACKAGE WHAT: PACKAGE is missing
	extra="${extra:+$extra }$1"
	extra_what="${extra_what:+$extra_what, }$2"
}
if ! command -v ogrinfo >/dev/null 2>&1; then need gdal-bin "GDAL's ogrinfo"; fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then need "nodejs npm" "Node.js and npm"; fi
if [ ! -x /usr/bin/chromium ]; then need chromium "Chromium"; fi
if ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then need fonts-noto-cjk "a CJK font (Noto Sans CJK)"; fi
gdal=$extra

bindir=$(server_bindir)
if [ -n "$bindir" ]; then
	version=$(major_version "$bindir")
	if has_postgis "$bindir" "$version"; then
		if [ -z "$gdal" ]; then
			say "PostgreSQL $version with PostGIS in $bindir, ogrinfo, Node.js, Chromium and a CJK font: nothing to install"
			exit 0
		fi
		packages=
		missing="$extra_what"
	else
		packages="postgresql-$version-postgis-3"
		missing="PostGIS 3 for PostgreSQL $version"
	fi
else
	version=$(distro_version)
	packages="postgresql postgresql-${version:-<version>}-postgis-3"
	missing="the PostgreSQL server and PostGIS 3"
fi
if [ -n "$gdal" ] && [ "$missing" != "$extra_what" ]; then missing="$missing, and $extra_what"; fi
packages="${packages:+$packages }$gdal"

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	say "gridsentry needs $missing."
	if command -v apt-get >/dev/null 2>&1; then
		say "Install them as root:  apt-get update && apt-get install -y $packages"
		say "(or run this script as root: sudo $0)"
	else
		say "Install them with your distribution's packages (PostgreSQL 15 or newer, PostGIS 3 for it),"
		say "or point GRIDSENTRY_PG_BINDIR at the directory of initdb, pg_ctl and postgres."
	fi
	exit 1
fi

say "installing $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -z "$bindir" ]; then
	version=$(distro_version)
	if [ -z "$version" ]; then
		say "cannot tell the PostgreSQL version of this distribution (apt-cache show postgresql): install postgresql and its postgresql-<version>-postgis-3 by hand"
		exit 1
	fi
	packages="postgresql postgresql-$version-postgis-3${gdal:+ $gdal}"
fi
say "apt-get install -y $packages"
apt-get install -y -qq --no-install-recommends $packages >/dev/null

bindir=$(server_bindir)
if [ -z "$bindir" ] || ! has_postgis "$bindir" "$(major_version "$bindir")"; then
	say "installed $packages but still find no PostgreSQL server with PostGIS"
	exit 1
fi
say "PostgreSQL $(major_version "$bindir") with PostGIS in $bindir"
