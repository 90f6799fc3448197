#!/usr/bin/env bash
# s3server.sh - run a real S3 server (Ceph RADOS Gateway, Debian packages) on
# 127.0.0.1 for end-to-end tests.  A one-host Ceph cluster: one monitor, one
# OSD (memstore: data in RAM, 1 GiB cap), one radosgw.  Auth between the
# daemons is off; S3 requests are fully signature-checked by radosgw.
#
# Usage:
#   tests/e2e/s3server.sh install
#       apt-get update + install radosgw ceph-mon ceph-osd, unless already there.
#   eval "$(tests/e2e/s3server.sh start PORT [STATE_DIR])"
#       start mon, osd and rgw (rgw on 127.0.0.1:PORT), create the S3 user and
#       print only `export ...` lines on stdout (on failure: the single line
#       `false`, so that the eval fails as well):
#         S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
#         S3SERVER_STATE
#       STATE_DIR defaults to a fresh directory under ${TMPDIR:-/tmp}.
#       Keys: $S3SERVER_ACCESS_KEY / $S3SERVER_SECRET_KEY or the test defaults.
#   tests/e2e/s3server.sh stop [STATE_DIR | PORT]
#       SIGTERM rgw, osd, mon (only the pids saved in STATE_DIR, checked
#       against /proc), wait, remove STATE_DIR.  STATE_DIR defaults to
#       $S3SERVER_STATE, then to the cluster recorded as running.  A PORT
#       (as given to start) names the cluster whose rgw listens on it.
#       S3SERVER_KEEP_STATE=1 keeps STATE_DIR (logs) after stopping.
#   tests/e2e/s3server.sh status [STATE_DIR | PORT]
#
# Everything except the `export` lines goes to stderr.  Only one such cluster
# may run on a machine at a time (the OSD takes 127.0.0.1:6800-6803), so
# `start` refuses while another one recorded in $ACTIVE_FILE is alive.
# Start takes ~12 s; the first CreateBucket and first PUT take ~2 s each.
#
# radosgw logs at `debug rgw = 10`: STATE_DIR/log/client.rgw.a.log shows, for
# every request, its "canonical request", "string to sign" and signatures.

set -euo pipefail

ACCESS_KEY_DEFAULT=AKIAS3SERVERTEST0001
SECRET_KEY_DEFAULT=s3server-test-secret-key-0123456789abcdef
ACTIVE_FILE=${S3SERVER_ACTIVE_FILE:-/tmp/sigkit-s3server.active}
MARKER=.sigkit-s3server
READY_TIMEOUT=${S3SERVER_READY_TIMEOUT:-90}
STOP_TIMEOUT=${S3SERVER_STOP_TIMEOUT:-15}

# The ceph CLI and radosgw-admin are Debian programs: keep a project venv or
# pyenv out of their way.
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV || true
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

log() { printf 's3server: %s\n' "$*" >&2; }
die() { printf 's3server: error: %s\n' "$*" >&2; exit 1; }

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
    exit 2
}

# ---------------------------------------------------------------- helpers

need_tools() {
    local t missing=()
    for t in radosgw radosgw-admin ceph ceph-mon ceph-osd ceph-authtool monmaptool; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    if ((${#missing[@]})); then
        die "missing ${missing[*]}; run: $0 install"
    fi
}

# A Python able to open sockets: any python3 will do.
py() {
    local p
    for p in /usr/bin/python3 python3; do
        if command -v "$p" >/dev/null 2>&1; then "$p" "$@"; return; fi
    done
    die "python3 not found"
}

port_free() {  # port_free PORT -> 0 if nothing listens on 127.0.0.1:PORT
    py - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

free_port() {  # prints a free TCP port on 127.0.0.1
    py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

new_uuid() { cat /proc/sys/kernel/random/uuid; }

# http_status URL -> prints the HTTP status (000 when nothing answers)
http_status() {
    py - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
EOF
}

# pid_is PID NAME STATE -> 0 if PID is a live NAME process of this STATE dir
pid_is() {
    local pid=$1 name=$2 state=$3 comm cmd
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/comm ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    # comm is cut to 15 chars; the daemons rename their threads, not the process.
    [[ $comm == "$name"* || $name == "$comm"* ]] || return 1
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ $cmd == *"$state/ceph.conf"* ]]
}

# saved_pid STATE NAME -> prints the saved pid if it is still that process
saved_pid() {
    local state=$1 name=$2 f pid
    f=$state/pids/$name.pid
    [[ -r $f ]] || return 1
    pid=$(<"$f")
    pid_is "$pid" "$name" "$state" || return 1
    printf '%s\n' "$pid"
}

any_alive() {  # any_alive STATE
    local n
    for n in radosgw ceph-osd ceph-mon; do
        saved_pid "$1" "$n" >/dev/null && return 0
    done
    return 1
}

tail_log() {  # tail_log FILE [LINES]
    local f=$1 n=${2:-40}
    if [[ -s $f ]]; then
        printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
        tail -n "$n" "$f" >&2
        printf -- '-----\n' >&2
    fi
}

# Ask each daemon to stop (rgw, osd, mon), wait, then SIGKILL leftovers.
stop_daemons() {
    local state=$1 n pid waited
    for n in radosgw ceph-osd ceph-mon; do
        pid=$(saved_pid "$state" "$n") || continue
        log "stopping $n (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        waited=0
        while pid_is "$pid" "$n" "$state"; do
            if ((waited >= STOP_TIMEOUT * 10)); then
                log "$n (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
                sleep 0.2
                break
            fi
            sleep 0.1
            waited=$((waited + 1))
        done
        rm -f "$state/pids/$n.pid"
    done
}

# ---------------------------------------------------------------- install

cmd_install() {
    if command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 \
        && command -v ceph-osd >/dev/null 2>&1; then
        log "radosgw already installed: $(command -v radosgw)"
        return 0
    fi
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install"
        sudo=(sudo -n)
    fi
    local t0=$SECONDS
    log "apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2 \
        || die "apt-get update failed"
    log "apt-get install radosgw ceph-mon ceph-osd"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends -o Dpkg::Use-Pty=0 radosgw ceph-mon ceph-osd </dev/null >&2 \
        || die "apt-get install failed"
    command -v radosgw >/dev/null 2>&1 || die "radosgw not on PATH after install"
    log "installed in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- start

write_conf() {  # write_conf STATE FSID MONPORT PORT TLSPORT
    local s=$1 fsid=$2 monport=$3 port=$4 tlsport=$5
    cat >"$s/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$monport
ms bind msgr2 = false
ms bind ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
keyring = $s/keyring
run dir = $s/run
admin socket = $s/run/\$name.asok
log file = $s/log/\$name.log
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 1

[mon]
mon data = $s/mon.\$id
mon cluster log file = $s/log/cluster.log

[osd]
osd data = $s/osd.\$id
osd objectstore = memstore
memstore device bytes = 4294967296
# With auth none, ceph-osd may send its on-start monitor commands before it
# has the monmap ("wrong fsid": it exits).  The script places the OSD in the
# CRUSH map itself instead.
osd class update on start = false
osd crush update on start = false

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port ssl_endpoint=127.0.0.1:$tlsport ssl_certificate=$s/tls/rgw.pem
rgw data = $s/rgw
# memstore holds everything in RAM: give deleted objects' space back within seconds
# (the default waits two hours), or a run with large objects fills the OSD.
rgw gc obj min wait = 5
rgw gc processor period = 10
debug rgw = 10
EOF
}

# make_cert DIR : a throwaway CA (ca.pem) and a certificate for localhost and 127.0.0.1
# signed by it (rgw.pem holds certificate and key, as beast's ssl_certificate wants), so
# clients over TLS verify the server the way they would a real store (AWS_CA_BUNDLE).
make_cert() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=s3server test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1 || die "openssl: CA failed"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$d/rgw.key" -out "$d/rgw.csr" >/dev/null 2>&1 || die "openssl: CSR failed"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext"
    openssl x509 -req -in "$d/rgw.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 30 -extfile "$d/ext" -out "$d/rgw.crt" >/dev/null 2>&1 || die "openssl: sign failed"
    cat "$d/rgw.crt" "$d/rgw.key" >"$d/rgw.pem"
    chmod 600 "$d/ca.key" "$d/rgw.key" "$d/rgw.pem"
}

# spawn STATE NAME PROGRAM ARGS... : run a daemon in the background, save pid.
# stdin from /dev/null and output to a file, so `$(... start)` does not wait
# for the daemons.
spawn() {
    local state=$1 name=$2 pid
    shift 2
    "$@" </dev/null >>"$state/log/$name.out" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$state/pids/$name.pid"
    log "started $name (pid $pid)"
}

START_STATE=
START_LOG=

start_failed() {
    local rc=$? n
    trap - EXIT
    # So that `eval "$(s3server.sh start ...)"` fails too (under set -e).
    ((rc == 0)) || printf 'false\n'
    if ((rc != 0)) && [[ -n $START_STATE ]]; then
        [[ -n $START_LOG ]] && tail_log "$START_LOG"
        for n in ceph-mon ceph-osd radosgw; do
            if [[ -s $START_STATE/log/$n.out ]]; then tail_log "$START_STATE/log/$n.out" 10; fi
        done
        log "start failed; stopping what was started (logs kept in $START_STATE/log)"
        stop_daemons "$START_STATE"
        if [[ -r $ACTIVE_FILE && $(<"$ACTIVE_FILE") == "$START_STATE" ]]; then
            rm -f "$ACTIVE_FILE"
        fi
    fi
    exit "$rc"
}

# run_step LOGNAME DESCRIPTION CMD... : run a setup command, output to a log.
run_step() {
    local lf=$START_STATE/log/$1.txt desc=$2
    shift 2
    if ! "$@" </dev/null >>"$lf" 2>&1; then
        tail_log "$lf" 20
        die "$desc failed: $*"
    fi
    START_LOG=
}

cmd_start() {
    trap start_failed EXIT
    local port=${1:-} state=${2:-}
    if ! [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || ((port > 65535)); then
        die "start needs a PORT (1-65535), got '${port}'"
    fi
    need_tools

    local access=${S3SERVER_ACCESS_KEY:-$ACCESS_KEY_DEFAULT}
    local secret=${S3SERVER_SECRET_KEY:-$SECRET_KEY_DEFAULT}

    # Only one cluster per machine.
    if [[ -r $ACTIVE_FILE ]]; then
        local other
        other=$(<"$ACTIVE_FILE")
        if [[ -n $other && -d $other ]] && any_alive "$other"; then
            die "a cluster is already running from $other (stop it first: $0 stop $other)"
        fi
        rm -f "$ACTIVE_FILE"
    fi
    port_free "$port" || die "port 127.0.0.1:$port is already in use"

    if [[ -z $state ]]; then
        state=$(mktemp -d "${TMPDIR:-/tmp}/s3server.XXXXXX")
    else
        mkdir -p "$state"
        state=$(cd "$state" && pwd -P)
        if [[ -n $(ls -A "$state") ]]; then
            [[ -e $state/$MARKER ]] || die "$state is not empty and was not made by $0; give an empty or new directory"
            any_alive "$state" && die "a cluster is still running from $state"
            # Leftovers of an earlier run of ours: start afresh.
            rm -rf "${state:?}"/{ceph.conf,keyring,monmap,mon.a,osd.0,rgw,run,log,pids,"$MARKER"}
        fi
    fi
    [[ $state != *[[:space:]]* ]] || die "STATE_DIR must not contain spaces: $state"
    mkdir -p "$state"/{log,run,pids,rgw,mon.a,osd.0}
    touch "$state/$MARKER"
    START_STATE=$state
    printf '%s\n' "$state" >"$ACTIVE_FILE"

    local t0=$SECONDS fsid osd_uuid monport tlsport conf=$state/ceph.conf
    fsid=$(new_uuid)
    osd_uuid=$(new_uuid)
    monport=$(free_port)
    [[ $monport != "$port" ]] || monport=$(free_port)
    tlsport=$(free_port)
    while [[ $tlsport == "$port" || $tlsport == "$monport" ]]; do tlsport=$(free_port); done
    make_cert "$state/tls"
    write_conf "$state" "$fsid" "$monport" "$port" "$tlsport"
    log "state in $state (mon on 127.0.0.1:$monport, rgw on 127.0.0.1:$port, TLS on $tlsport)"

    # 1-3: keyring, monmap, monitor
    run_step setup "ceph-authtool (mon. key)" \
        ceph-authtool --create-keyring "$state/keyring" --gen-key -n mon. --cap mon 'allow *'
    run_step setup "ceph-authtool (client.admin key)" \
        ceph-authtool "$state/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *'
    run_step setup "monmaptool" \
        monmaptool --create --add a "v1:127.0.0.1:$monport" --fsid "$fsid" "$state/monmap"
    START_LOG=$state/log/mon.a.log
    run_step mon-mkfs "ceph-mon --mkfs" \
        ceph-mon -c "$conf" --mkfs -i a --monmap "$state/monmap" --keyring "$state/keyring"
    spawn "$state" ceph-mon ceph-mon -c "$conf" -f -i a

    # 4-5: OSD (ceph osd new waits for the monitor)
    START_LOG=$state/log/mon.a.log
    run_step osd-new "ceph osd new (waiting for the monitor)" \
        timeout 60 ceph -c "$conf" --connect-timeout 50 osd new "$osd_uuid"
    run_step osd-new "ceph osd crush add" \
        timeout 60 ceph -c "$conf" --connect-timeout 50 osd crush add osd.0 1.0 root=default host=localhost
    START_LOG=$state/log/osd.0.log
    run_step osd-mkfs "ceph-osd --mkfs" \
        ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid"
    spawn "$state" ceph-osd ceph-osd -c "$conf" -f -i 0

    # 6: radosgw, then wait until it answers
    spawn "$state" radosgw radosgw -c "$conf" -f -n client.rgw.a
    local url=http://127.0.0.1:$port/ deadline=$((SECONDS + READY_TIMEOUT)) code=000 n
    log "waiting for $url (radosgw creates its pools first; up to ${READY_TIMEOUT}s)"
    local osd_tries=1 why
    while :; do
        # Should ceph-osd still exit at start (see "wrong fsid" in the conf),
        # a new run works.
        if ! saved_pid "$state" ceph-osd >/dev/null && ((osd_tries < 3)); then
            why=$(grep -m 1 'wrong fsid' "$state/log/osd.0.log" 2>/dev/null \
                || grep ' -1 ' "$state/log/osd.0.log" 2>/dev/null | tail -n 1 || true)
            why=${why:0:200}
            log "ceph-osd exited (${why:-no error line in osd.0.log}); starting it again"
            osd_tries=$((osd_tries + 1))
            sleep 1
            spawn "$state" ceph-osd ceph-osd -c "$conf" -f -i 0
        fi
        for n in ceph-mon ceph-osd radosgw; do
            if ! saved_pid "$state" "$n" >/dev/null; then
                case $n in
                    ceph-mon) START_LOG=$state/log/mon.a.log ;;
                    ceph-osd) START_LOG=$state/log/osd.0.log ;;
                    radosgw) START_LOG=$state/log/client.rgw.a.log ;;
                esac
                die "$n exited during start"
            fi
        done
        code=$(http_status "$url")
        [[ $code == 200 ]] && break
        if ((SECONDS >= deadline)); then
            START_LOG=$state/log/client.rgw.a.log
            die "radosgw did not answer on $url within ${READY_TIMEOUT}s (last status $code)"
        fi
        sleep 0.5
    done
    log "radosgw answers after $((SECONDS - t0)) s"

    # 7: the S3 user
    START_LOG=$state/log/client.rgw.a.log
    run_step user-create "radosgw-admin user create" \
        radosgw-admin -c "$conf" user create --uid=sigkit-test --display-name=sigkit-test \
        --access-key="$access" --secret-key="$secret"
    log "ready in $((SECONDS - t0)) s; rgw log: $state/log/client.rgw.a.log"

    trap - EXIT
    printf 'export S3_ENDPOINT=%q\n' "http://127.0.0.1:$port"
    printf 'export AWS_ACCESS_KEY_ID=%q\n' "$access"
    printf 'export AWS_SECRET_ACCESS_KEY=%q\n' "$secret"
    printf 'export AWS_DEFAULT_REGION=us-east-1\n'
    printf 'export S3SERVER_STATE=%q\n' "$state"
    printf 'export S3_TLS_ENDPOINT=%q\n' "https://localhost:$tlsport"
    printf 'export S3_CA_BUNDLE=%q\n' "$state/tls/ca.pem"
}

# ---------------------------------------------------------------- stop, status

state_of_port() {  # state_of_port PORT -> the state dir whose rgw listens on 127.0.0.1:PORT
    local port=$1 dir found=""
    local -a candidates=()
    [[ -r $ACTIVE_FILE ]] && candidates+=("$(<"$ACTIVE_FILE")")
    [[ -n ${S3SERVER_STATE:-} ]] && candidates+=("$S3SERVER_STATE")
    for dir in "${TMPDIR:-/tmp}"/s3server.*; do candidates+=("$dir"); done
    for dir in "${candidates[@]}"; do
        [[ -e $dir/$MARKER && -r $dir/ceph.conf ]] || continue
        if grep -q "^rgw frontends = beast endpoint=127.0.0.1:$port\( \|$\)" "$dir/ceph.conf"; then
            found=$dir
            break
        fi
    done
    [[ -n $found ]] || die "no cluster made by $0 has rgw on 127.0.0.1:$port"
    printf '%s\n' "$found"
}

resolve_state() {  # prints the state dir for stop/status (a STATE_DIR or the PORT of start)
    local state=${1:-${S3SERVER_STATE:-}}
    if [[ -n ${1:-} && $1 =~ ^[1-9][0-9]{0,4}$ && ! -d $1 ]]; then
        state=$(state_of_port "$1") || exit 1
    fi
    if [[ -z $state && -r $ACTIVE_FILE ]]; then state=$(<"$ACTIVE_FILE"); fi
    [[ -n $state ]] || die "no STATE_DIR given, \$S3SERVER_STATE unset and no running cluster recorded"
    [[ -d $state ]] || die "no such state directory: $state"
    (cd "$state" && pwd -P)
}

cmd_stop() {
    local state
    state=$(resolve_state "${1:-}")
    [[ -e $state/$MARKER ]] || die "$state was not made by $0; not touching it"
    stop_daemons "$state"
    if any_alive "$state"; then die "daemons of $state are still running"; fi
    if [[ -r $ACTIVE_FILE && $(<"$ACTIVE_FILE") == "$state" ]]; then rm -f "$ACTIVE_FILE"; fi
    if [[ -n ${S3SERVER_KEEP_STATE:-} ]]; then
        log "stopped; state kept in $state"
    else
        rm -rf "${state:?}"
        log "stopped; removed $state"
    fi
}

cmd_status() {
    local state n pid rc=0
    state=$(resolve_state "${1:-}")
    for n in ceph-mon ceph-osd radosgw; do
        if pid=$(saved_pid "$state" "$n"); then
            printf '%s running (pid %s)\n' "$n" "$pid" >&2
        else
            printf '%s not running\n' "$n" >&2
            rc=1
        fi
    done
    return "$rc"
}

case ${1:-} in
    install) shift; cmd_install "$@" ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) usage ;;
esac
