#!/usr/bin/env bash
# Install the plugins as one multi-call executable plus a hard link per plugin, or remove them again.
#
#   scripts/install.sh [--force] [--from FILE] [DIR]     install (DIR default /opt/cni/bin)
#   scripts/install.sh --uninstall [DIR]                 remove what this script installed there
#
# FILE (default: this repo's bin/cni-plugins, made by ./build.sh) becomes DIR/cni-plugins, and every
# plugin it holds (`FILE --list`) becomes DIR/<plugin>, a hard link of that one file. Each name is put
# in place by rename from a complete file beside it, so a runtime running a plugin meanwhile gets the
# old file or the new one, never a half-written one.
#
# Its own files: DIR/.cni-plugins.manifest lists the names it installed and the device:inode of the
# file they are links of. A name counts as its own only while it is listed and still that very file
# (a file put there since by anyone else has another inode). Any other file is never replaced, unless
# --force, and never removed. Installing again is a no-op when nothing changed; an upgrade removes the
# links of plugins the new executable no longer holds.
set -euo pipefail

EXECUTABLE=cni-plugins
MANIFEST=.cni-plugins.manifest
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
  cat <<USAGE
usage: scripts/install.sh [--force] [--from FILE] [DIR]
       scripts/install.sh --uninstall [DIR]

Installs FILE (default $REPO/bin/$EXECUTABLE) as DIR/$EXECUTABLE and each plugin it holds as a
hard link DIR/<plugin>; DIR defaults to /opt/cni/bin.
  --force       replace files of those names that this script did not install
  --from FILE   the multi-call executable to install
  --uninstall   remove only what this script installed in DIR
USAGE
}
bad_usage() {
  echo "install.sh: $*" >&2
  usage >&2
  exit 2
}
die() {
  echo "install.sh: $*" >&2
  exit 1
}

force=0
uninstall=0
from=""
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --uninstall) uninstall=1 ;;
    --from)
      [ $# -ge 2 ] || bad_usage "--from needs a FILE"
      from=$2
      shift
      ;;
    --from=*) from=${1#--from=} ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) bad_usage "unknown option: $1" ;;
    *)
      [ -z "$dir" ] || bad_usage "more than one DIR: $dir $1"
      dir=$1
      ;;
  esac
  shift
done
[ -n "$dir" ] || dir=/opt/cni/bin
if [ "$uninstall" = 1 ] && { [ "$force" = 1 ] || [ -n "$from" ]; }; then
  bad_usage "--uninstall takes no --force or --from"
fi
[ -n "$from" ] || from="$REPO/bin/$EXECUTABLE"
case "$from" in */*) ;; *) from="./$from" ;; esac # run that file, not a namesake on PATH

# A plugin name is a plain file name (also what the manifest may hold: never a path).
valid_name() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]
}

identity() {
  stat -c '%d:%i' -- "$1"
}

# --- what an earlier run installed ------------------------------------------------------------
owned_files=()
owned_names=()
read_manifest() {
  [ -f "$dir/$MANIFEST" ] || return 0
  local kind value
  while read -r kind value; do
    case "$kind" in
      file) owned_files+=("$value") ;;
      name) if valid_name "$value"; then owned_names+=("$value"); fi ;;
    esac
  done <"$dir/$MANIFEST"
}

contains() {
  local wanted=$1 item
  shift
  for item in "$@"; do [ "$item" = "$wanted" ] && return 0; done
  return 1
}

# Ours: listed, a regular file (not a symlink), and still the file we installed.
is_ours() {
  local path="$dir/$1"
  [ -f "$path" ] && [ ! -L "$path" ] || return 1
  contains "$1" "${owned_names[@]+"${owned_names[@]}"}" || return 1
  contains "$(identity "$path")" "${owned_files[@]+"${owned_files[@]}"}"
}

# write_manifest FILE-ID... -- NAME...: written beside, then renamed, like everything else here.
write_manifest() {
  local tmp="$dir/$MANIFEST.$$.tmp" item section=file written=()
  {
    echo "# written by scripts/install.sh (cni-ts): the files it installed here; do not edit"
    for item in "$@"; do
      if [ "$item" = -- ]; then section=name; continue; fi
      contains "$section $item" "${written[@]+"${written[@]}"}" && continue
      written+=("$section $item")
      echo "$section $item"
    done
  } >"$tmp"
  # The same content is left in place: a re-install that changes nothing changes no file.
  if cmp -s -- "$tmp" "$dir/$MANIFEST"; then rm -f -- "$tmp"; return; fi
  mv -f -T "$tmp" "$dir/$MANIFEST"
}

# --- two runs at once would interleave their renames: one at a time per directory ---------------
lock_dir() {
  exec 9<"$dir"
  flock 9
}
trap 'rm -f "$dir"/.*."$$".tmp' EXIT

uninstall_all() {
  [ -d "$dir" ] || die "$dir: no such directory"
  lock_dir
  read_manifest
  if [ ! -f "$dir/$MANIFEST" ]; then
    echo "install.sh: nothing installed by install.sh in $dir"
    return 0
  fi
  local name removed=()
  for name in "${owned_names[@]+"${owned_names[@]}"}"; do
    if is_ours "$name"; then
      rm -f -- "$dir/$name"
      removed+=("$name")
    elif [ -e "$dir/$name" ] || [ -L "$dir/$name" ]; then
      echo "install.sh: left $dir/$name: not the file install.sh installed" >&2
    fi
  done
  rm -f -- "$dir/$MANIFEST"
  echo "install.sh: removed from $dir: ${removed[*]-nothing}"
}

install_all() {
  [ -f "$from" ] && [ -x "$from" ] || die "$from: no executable file there (run ./build.sh first, or give --from FILE)"
  local listing names=() name
  listing=$("$from" --list) || die "$from --list failed: not a multi-call $EXECUTABLE executable?"
  for name in $listing; do
    valid_name "$name" && [ "$name" != "$EXECUTABLE" ] || die "$from --list printed an invalid plugin name: $name"
    names+=("$name")
  done
  [ ${#names[@]} -gt 0 ] || die "$from --list printed no plugin names"

  mkdir -p -- "$dir"
  lock_dir
  read_manifest

  # Refuse before changing anything.
  local conflicts=()
  for name in "$EXECUTABLE" "${names[@]}"; do
    local path="$dir/$name"
    [ -e "$path" ] || [ -L "$path" ] || continue
    [ -d "$path" ] && [ ! -L "$path" ] && die "$path is a directory"
    is_ours "$name" && continue
    [ "$force" = 1 ] && continue
    conflicts+=("$path")
  done
  if [ ${#conflicts[@]} -gt 0 ]; then
    die "not replacing files it did not install: ${conflicts[*]} (--force replaces them)"
  fi

  # The executable: reused when it is ours and already these bytes, else a complete copy beside it.
  local source="$dir/$EXECUTABLE" copy=""
  if ! is_ours "$EXECUTABLE" || ! cmp -s -- "$from" "$dir/$EXECUTABLE"; then
    copy="$dir/.$EXECUTABLE.$$.tmp"
    cp -- "$from" "$copy"
    chmod 0755 "$copy"
    sync -- "$copy" 2>/dev/null || true
    source=$copy
  fi
  local new_id
  new_id=$(identity "$source")

  # Until the last rename, both the old file and the new one are ours (an interrupted run stays undoable).
  local all_names=("$EXECUTABLE" "${names[@]}")
  for name in "${owned_names[@]+"${owned_names[@]}"}"; do
    contains "$name" "${all_names[@]}" || all_names+=("$name")
  done
  write_manifest "${owned_files[@]+"${owned_files[@]}"}" "$new_id" -- "${all_names[@]}"

  for name in "${names[@]}"; do
    [ "$dir/$name" -ef "$source" ] && [ ! -L "$dir/$name" ] && continue
    ln -f -- "$source" "$dir/.$name.$$.tmp"
    mv -f -T -- "$dir/.$name.$$.tmp" "$dir/$name"
  done
  [ -z "$copy" ] || mv -f -T -- "$copy" "$dir/$EXECUTABLE"

  # Plugins the new executable no longer holds: their links would run the old build.
  local stale=()
  for name in "${owned_names[@]+"${owned_names[@]}"}"; do
    [ "$name" = "$EXECUTABLE" ] && continue
    contains "$name" "${names[@]}" && continue
    if is_ours "$name"; then
      rm -f -- "$dir/$name"
      stale+=("$name")
    fi
  done
  write_manifest "$new_id" -- "$EXECUTABLE" "${names[@]}"

  echo "install.sh: $dir/$EXECUTABLE with links ${names[*]}${stale[*]+"; removed ${stale[*]}"}"
}

if [ "$uninstall" = 1 ]; then uninstall_all; else install_all; fi
