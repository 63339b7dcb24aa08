#!/usr/bin/env bash
# postgis.sh start|stop|status DIR PORT
#
# Runs a private PostgreSQL 15 + PostGIS 3 server for benchmarks and cross-checks: its cluster
# lives in DIR (created on first start), it listens on 127.0.0.1:PORT only (and on a Unix socket
# in DIR), trusts local connections, and never touches the system's clusters. Durability is off
# (fsync, synchronous_commit, full_page_writes): the data is a scratch copy.
#
#   start   initialise DIR if needed, start the server, create the postgis extension and print
#           the DSN (postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable) on stdout
#   stop    stop the server (fast shutdown); DIR is kept
#   status  exit 0 when the server in DIR is running, 3 when it is not
#
# When the Debian packages postgresql-15 and postgresql-15-postgis-3 are missing they are
# installed with apt-get (as root, or through sudo). PostgreSQL refuses to run as root: as root
# the cluster is owned by, and the server runs as, the postgres user (runuser -u postgres).
set -euo pipefail

usage() {
	echo "usage: $0 start|stop|status DIR PORT" >&2
	exit 2
}
[ $# -eq 3 ] || usage
cmd=$1
dir=$2
port=$3
case $port in '' | *[!0-9]*) usage ;; esac
[ "$port" -ne 5432 ] || { echo "postgis.sh: use a non-default port, not 5432" >&2; exit 2; }

find_bin() {
	local d
	for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		[ -x "$d/pg_ctl" ] || continue
		local share
		share=$("$d/pg_config" --sharedir 2>/dev/null) || continue
		if [ -f "$share/extension/postgis.control" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

install_packages() {
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "postgis.sh: PostgreSQL 15 + PostGIS missing; install postgresql-15 postgresql-15-postgis-3" >&2; exit 1; }
		sudo=sudo
	fi
	echo "postgis.sh: installing postgresql-15 postgresql-15-postgis-3" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		postgresql-15 postgresql-15-postgis-3 >&2
}

bin=$(find_bin) || {
	[ "$cmd" = start ] || { echo "postgis.sh: PostgreSQL with PostGIS is not installed" >&2; exit 1; }
	command -v apt-get >/dev/null || { echo "postgis.sh: PostgreSQL with PostGIS is not installed and there is no apt-get" >&2; exit 1; }
	install_packages
	bin=$(find_bin) || { echo "postgis.sh: PostGIS still not found after installing" >&2; exit 1; }
}

# as runs a server binary as the cluster's owner.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

data=$dir/data
case $cmd in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	data=$dir/data
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || { echo "postgis.sh: running as root but there is no postgres user" >&2; exit 1; }
		chown postgres: "$dir"
		runuser -u postgres -- test -w "$dir" || {
			echo "postgis.sh: the postgres user cannot reach $dir : a parent directory is not searchable by others (chmod o+x it, or choose another DIR)" >&2
			exit 1
		}
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		as "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale -N >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
	fi
	if as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		echo "postgis.sh: already running in $dir" >&2
	else
		# Settings for a benchmark on a shared 2-core machine: no durability (scratch data),
		# memory for sorts and unions, and no JIT (it only slows the short tile queries).
		opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
		opts="$opts -c full_page_writes=off -c shared_buffers=512MB -c work_mem=256MB"
		opts="$opts -c maintenance_work_mem=512MB -c jit=off -c max_connections=20"
		as "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -o "$opts" -w -t 60 start >&2 || {
			cat "$dir/server.log" >&2
			exit 1
		}
	fi
	PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE EXTENSION IF NOT EXISTS postgis;" >&2
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	if [ -f "$data/PG_VERSION" ] && as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		as "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2
	fi
	;;
status)
	if [ -f "$data/PG_VERSION" ] && as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		echo "running: postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	else
		echo "not running"
		exit 3
	fi
	;;
*) usage ;;
esac
