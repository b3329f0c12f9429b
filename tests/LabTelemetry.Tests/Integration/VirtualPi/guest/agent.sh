#!/bin/bash
# The test's agent on one virtio-serial port (virtualpi.sh exec is the other end): runs the commands the host sends,
# one at a time, as root, and sends back what they print and how they exit.
#
#   host:  NONCE COMMAND         one line; COMMAND is shell-quoted words, run by bash -c
#   agent: s NONCE               the command starts
#          o LINE | e LINE       a line of its standard output | error, as it comes
#          x NONCE STATUS        it ended, with STATUS
#
# The host's end going away (its exec killed) ends the command and all it started. Lines that are not the current
# NONCE's (a command whose host left, the port's previous user) are the host's to drop.
set -u
port=$1
exec 3<>"$port"

# The pipes a command's output goes through, made once: every process less is time saved under emulation. And one
# nobody writes to, for read -t: a pause that starts no process, for the idle loop below.
work=/run/virtualpi-agent.${port##*.}
rm -rf "$work"
mkdir "$work"
mkfifo "$work/out" "$work/err" "$work/pause"
exec 4<>"$work/pause"

run() {
  local nonce=$1 command=$2 out err pid watch status=0
  printf 's %s\n' "$nonce" >&3
  # -W interactive: mawk reads a pipe line by line (else it fills its buffer first) and writes each line at once.
  mawk -W interactive '{ print "o " $0 }' <"$work/out" >&3 &
  out=$!
  mawk -W interactive '{ print "e " $0 }' <"$work/err" >&3 &
  err=$!
  # A session of its own (setsid does not fork here: a background job of a script leads no process group), so
  # that one kill reaches everything the command started.
  setsid bash -c "$command" </dev/null >"$work/out" 2>"$work/err" &
  pid=$!
  # The port reads end-of-file only while no host is connected: then nobody wants the output any more. The watcher
  # exits 0 only then; killed once the command has ended, it does not.
  (
    while IFS= read -r -u 3 line; do [ "$line" != cancel ] || break; done
    kill -KILL -- "-$pid" "$out" "$err" 2>/dev/null
    exit 0
  ) &
  watch=$!
  wait "$pid" || status=$?
  # As ssh does: the output is whole once both streams are closed, which a child left running may delay.
  wait "$out" "$err" 2>/dev/null
  kill "$watch" 2>/dev/null
  if wait "$watch" 2>/dev/null; then return 0; fi
  printf 'x %s %d\n' "$nonce" "$status" >&3
}

while :; do
  if IFS= read -r -u 3 request; then
    case "$request" in
      *' '*) run "${request%% *}" "${request#* }" ;;
    esac
  else
    # End-of-file: no host connected (and a partial line from one that left is dropped). The port cannot be waited
    # on until one connects (poll reports the hang-up at once), so look again ten times a second.
    read -r -t 0.1 -u 4 _ || true
  fi
done
