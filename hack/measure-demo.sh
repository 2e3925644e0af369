#!/usr/bin/env bash
# measure-demo.sh: what `make demo` costs, measured on the real binary in a
# real terminal (a detached tmux session of its own, 120x40).
#
# For each speed in SPEEDS (default: 60, the default speed, and 43200, 30
# days of the trace in 60 s) it starts `kubectl-kimiscale --demo --speed S`,
# waits for the dashboard, then samples the process for DURATION seconds
# (default 60):
#   - CPU: utime+stime from /proc/PID/stat over the window, as % of one core
#     (the start-up, which replays two days of the trace, is reported apart);
#   - RSS: VmRSS from /proc/PID/status every STEP seconds, VmHWM (peak),
#     and at the end RssAnon (heap, stacks) and RssFile (the binary's pages);
#   - simulated: the trace time the cluster replayed: its clock (speed x
#     wall time) minus its lag. At a high speed the dashboard marks every
#     metric "stale for D", D being how far the newest reading (the
#     cluster's last step) is behind the clock at the poll: the lag; "<1
#     poll" when the metrics are fresh. On a busy machine the cluster can
#     fall behind its clock (a growing D); a run whose speed x DURATION
#     covers WANT_DAYS (default 30) then goes on, at most EXTRA (120) s
#     more, until the cluster has really replayed them.
# The embedded trace (1995-07-01T04:00Z .. 07-28T17:31Z, 27.6 days) loops
# (demo/trace.go): the demo starts at 07-13T12:00Z, reaches the trace's end
# after 15.2 days, goes on from 07-01T04:00Z, and 30 days end on 07-16.
# Targets (issue 5): under 3 % of one core at the default speed; under 80 MB
# RSS after replaying 30 days.
#
# Usage: hack/measure-demo.sh            (builds the binary into a temp dir)
#        BIN=bin/kubectl-kimiscale DURATION=60 SPEEDS="60 43200" hack/measure-demo.sh
# Needs: go (unless BIN is given), tmux, Linux /proc. The machine should be
# otherwise quiet: the figures are the process's own CPU time, but a busy
# machine slows its clock and caches.
set -euo pipefail

DURATION=${DURATION:-60}
STEP=${STEP:-5}
SPEEDS=${SPEEDS:-"60 43200"}
WANT_DAYS=${WANT_DAYS:-30}
EXTRA=${EXTRA:-120}
COLS=120
ROWS=40

command -v tmux >/dev/null || { echo "tmux not found: run make deps (hack/install-deps.sh installs tmux)" >&2; exit 1; }
[[ -r /proc/self/stat ]] || { echo "needs Linux /proc" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kimiscale-measure.XXXXXX")
sock="kimiscale-measure-$$"
sockpath=""
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	[[ "$(basename "$sockpath")" == "$sock" ]] && rm -f "$sockpath" # tmux leaves it
	rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${BIN:-}" ]]; then
	cd "$(dirname "$0")/.."
	echo "building kubectl-kimiscale ..." >&2
	go build -o "$work/kubectl-kimiscale" ./cmd/kubectl-kimiscale
	BIN="$work/kubectl-kimiscale"
fi
BIN=$(realpath "$BIN")

mkdir -p "$work/home" "$work/tmp"
cat >"$work/tmux.conf" <<'EOF'
set -g escape-time 0
set -g default-terminal xterm-256color
set -g remain-on-exit on
set -g status off
EOF

hz=$(getconf CLK_TCK)
now() { date +%s.%N; }
# ticks PID: utime+stime in clock ticks (fields 14 and 15; the comm field
# may hold spaces, so count from after its closing parenthesis).
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# kb PID FIELD: a /proc/PID/status field in kB.
kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
screen() { tmux -L "$sock" capture-pane -p -t m; }
# secs D: a Go duration (243h20m52s, 3m20s, 1.5s; empty: 0) in seconds.
secs() { awk -v d="$1" 'BEGIN { t = 0; while (match(d, /^[0-9.]+[hms]/)) { n = substr(d, 1, RLENGTH - 1); u = substr(d, RLENGTH, 1); t += n * (u == "h" ? 3600 : u == "m" ? 60 : 1); d = substr(d, RLENGTH + 1) } print t }'; }
# behind: seconds of simulated time the cluster's newest reading is behind
# the clock now: the lag at the last poll plus the age of that poll (the
# header's "fresh D ago" or "STALE D"); prints "SECONDS LAG" (LAG as shown).
behind() {
	local scr lag age
	scr=$(screen)
	lag=$(grep -o 'stale for [0-9hms.]*' <<<"$scr" | head -1 | sed 's/stale for //' || true)
	age=$(head -1 <<<"$scr" | grep -oE '(fresh [0-9hms.]+ ago|STALE [0-9hms.]+)' | sed -E 's/fresh |STALE | ago//g' || true)
	echo "$(awk -v a="$(secs "$lag")" -v b="$(secs "$age")" 'BEGIN {print a + b}') ${lag:-<1poll}"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
printf '%-7s %-13s %-11s %-12s %-12s %-14s %-30s %s\n' speed startup cpu%/core rss_end_MB rss_peak_MB anon+file_MB simulated header_at_end
for speed in $SPEEDS; do
	tmux -L "$sock" kill-server 2>/dev/null || true
	env -u NO_COLOR -u TMUX HOME="$work/home" XDG_STATE_HOME="$work/home/.local/state" \
		XDG_CONFIG_HOME="$work/home/.config" XDG_CACHE_HOME="$work/home/.cache" TMPDIR="$work/tmp" \
		tmux -L "$sock" -f "$work/tmux.conf" new-session -d -s m -x "$COLS" -y "$ROWS" \
		"exec '$BIN' --demo --speed $speed"
	pid=$(tmux -L "$sock" display-message -p -t m '#{pane_pid}')
	sockpath=$(tmux -L "$sock" display-message -p '#{socket_path}')
	t_start=$(now)
	# Wait (at most 60 s) for the dashboard's header.
	for _ in $(seq 300); do
		screen | grep -q 'kimiscale demo/.*replicas [0-9]' && break
		sleep 0.2
	done
	screen | grep -q 'kimiscale demo/.*replicas [0-9]' || { echo "speed $speed: no dashboard within 60 s:" >&2; screen >&2; exit 1; }
	t0=$(now)
	c0=$(ticks "$pid")
	startup=$(awk -v a="$t_start" -v b="$t0" -v c="$c0" -v hz="$hz" 'BEGIN {printf "%.1fs/%.1fcpu", b - a, c / hz}')
	rss_trace=""
	lag_trace=""
	# A run meant to replay WANT_DAYS (speed x DURATION covers them) goes
	# on, at most EXTRA seconds more, until the cluster itself got there
	# (clock minus lag): on a busy machine it can fall behind its clock.
	want=$(awk -v s="$speed" -v d="$DURATION" -v w="$WANT_DAYS" 'BEGIN {print (s * d / 86400 >= w) ? w : 0}')
	s=0
	while :; do
		sleep "$STEP"
		s=$((s + STEP))
		[[ -r /proc/$pid/status ]] || { echo "speed $speed: the process exited:" >&2; screen >&2; exit 1; }
		rss_trace+="$(mb "$(kb "$pid" VmRSS)") "
		read -r b l < <(behind)
		lag_trace+="$l "
		((s < DURATION)) && continue
		done_days=$(awk -v sp="$speed" -v t0="$t_start" -v t="$(now)" -v b="$b" 'BEGIN {printf "%.2f", (sp * (t - t0) - b) / 86400}')
		awk -v d="$done_days" -v w="$want" 'BEGIN {exit !(d >= w)}' && break
		((s >= DURATION + EXTRA)) && { echo "speed $speed: only $done_days of $want days replayed after ${s}s" >&2; break; }
	done
	t1=$(now)
	c1=$(ticks "$pid")
	rss=$(kb "$pid" VmRSS)
	hwm=$(kb "$pid" VmHWM)
	split="$(mb "$(kb "$pid" RssAnon)")+$(mb "$(kb "$pid" RssFile)")"
	header=$(screen | head -1 | sed 's/  */ /g')
	cpu=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", 100 * (c1 - c0) / hz / (t1 - t0)}')
	read -r b l < <(behind)
	days=$(awk -v s="$speed" -v t0="$t_start" -v t1="$t1" -v b="$b" -v l="$l" \
		'BEGIN {printf "%.2fd in %.0fs, lag %s", (s * (t1 - t0) - b) / 86400, t1 - t0, l}')
	printf '%-7s %-13s %-11s %-12s %-12s %-14s %-30s %s\n' "$speed" "$startup" "$cpu" "$(mb "$rss")" "$(mb "$hwm")" "$split" "$days" "$header"
	echo "        every ${STEP}s: RSS (MB) $rss_trace"
	echo "        every ${STEP}s: lag $lag_trace"
	tmux -L "$sock" send-keys -t m q
	sleep 1
done
