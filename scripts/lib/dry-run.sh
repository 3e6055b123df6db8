# Sourced by the bootstrap scripts: print each command the way a shell reads it back, and run it
# unless DRY_RUN=1. A dry run asks gcloud nothing at all, not even whether a resource exists, so
# it shows every create and changes nothing.

show() {
  local out="+" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  echo "$out"
}

run() {
  show "$@"
  if [[ "${DRY_RUN:-0}" == 0 ]]; then "$@"; fi
}

# Whether a resource exists (its describe command succeeds); always "no" in a dry run.
exists() {
  [[ "${DRY_RUN:-0}" == 0 ]] && "$@" >/dev/null 2>&1
}
