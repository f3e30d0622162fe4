# Sourced by bench/run.sh and bench/windowed.sh.

# The id of the BPF map named $2 that process $1 holds an fd to, or nothing
# (not loaded yet, or gone): callers poll.
held_map_id() {
  local fd id
  for fd in /proc/"$1"/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf-map" ] || continue
    id=$(awk '/^map_id:/ {print $2}' /proc/"$1"/fdinfo/"${fd##*/}" 2>/dev/null) || continue
    [ -n "$id" ] && bpftool map show id "$id" 2>/dev/null | grep -q " name $2 " &&
      { echo "$id"; return; }
  done
  return 0
}
