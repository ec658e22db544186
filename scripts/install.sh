#!/usr/bin/env bash
# Install the plugins as one multi-call executable plus a hard link per plugin, or remove them again.
#
#   scripts/install.sh [--force] [--from FILE] [DIR]     install (DIR default /opt/cni/bin)
#   scripts/install.sh --uninstall [DIR]                 remove what this script installed there
#
# FILE (default: this repo's bin/cni-plugins, made by ./build.sh; any file name) becomes DIR/cni-plugins,
# and every plugin it holds (`FILE --list`) becomes DIR/<plugin>, a hard link of that one file. Each name
# is put in place by rename from a complete file made in a private directory inside DIR, so a runtime
# running a plugin meanwhile gets the old file or the new one, never a half-written one.
#
# A hostile neighbour: root runs this, so DIR and every directory above it must be writable by root (or
# the user running it) only — else another user could plant a symbolic link or a file that root then
# writes through or links. Such a DIR is refused before anything is written (a directory above DIR may be
# world-writable when sticky and root-owned, as /tmp).
#
# Its own files: DIR/.cni-plugins.manifest lists the names it installed and the device:inode and sha256 of
# the file they are links of. A name counts as its own only while it is listed and still that very file
# with those very bytes (an inode freed and reused by a file put there since has other bytes). Any other
# file is never replaced unless --force, and never removed: --force keeps what it replaces in
# DIR/.cni-plugins.replaced/<name> and --uninstall puts it back.
#
# After installing it says which copy each container runtime found here will run (containerd's bin_dir,
# podman's cni_plugin_dirs, CRI-O's plugin_dirs), with a warning where that is not the one just installed.
#
# Environment (for tests): CNI_INSTALL_ROOT, the root under which the runtimes' programs, configs and
# plugin directories are looked up (default: /).
set -euo pipefail
umask 022 # directories and files it makes are writable by their owner only

EXECUTABLE=cni-plugins
MANIFEST=.cni-plugins.manifest
REPLACED=.cni-plugins.replaced
DEFAULT_DIR=/opt/cni/bin
# names --list prints that are tools, not plugins: no runtime runs them
TOOLS=(cnitool)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=${CNI_INSTALL_ROOT:-}
ROOT=${ROOT%/}

usage() {
  cat <<USAGE
usage: scripts/install.sh [--force] [--from FILE] [DIR]
       scripts/install.sh --uninstall [DIR]

Installs FILE (default $REPO/bin/$EXECUTABLE) as DIR/$EXECUTABLE and each plugin it holds as a
hard link DIR/<plugin>; DIR defaults to $DEFAULT_DIR. Then says which copy containerd, podman and
CRI-O (those found here) will run.
  --force       replace files of those names that this script did not install; they are kept in
                DIR/$REPLACED/ and put back by --uninstall
  --from FILE   the multi-call executable to install (any file name)
  --uninstall   remove only what this script installed in DIR, putting back what --force replaced
DIR and the directories above it must be writable by root (or you) only.
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
dir_given=1
[ -n "$dir" ] || { dir=$DEFAULT_DIR; dir_given=0; }
if [ "$uninstall" = 1 ] && { [ "$force" = 1 ] || [ -n "$from" ]; }; then
  bad_usage "--uninstall takes no --force or --from"
fi
[ -n "$from" ] || from="$REPO/bin/$EXECUTABLE"
case "$from" in */*) ;; *) from="./$from" ;; esac # run that file, not a namesake on PATH
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

# A plugin name is a plain file name (also what the manifest may hold: never a path).
valid_name() {
  [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]
}

contains() {
  local wanted=$1 item
  shift
  for item in "$@"; do [ "$item" = "$wanted" ] && return 0; done
  return 1
}

# --- the directory: nobody but root (or the user running this) can put anything in it ------------
me=$(id -u)

# trusted_path PATH: every existing component of PATH (/ included) is owned by root or the user running
# this, and every directory among them is writable by its owner only — except that one above the last
# may be world-writable when sticky (others can add names there, but not move or replace ours).
trusted_path() {
  local path=$1 prefix="" part owner mode kind parts
  local -a components=(/)
  IFS=/ read -r -a parts <<<"$path"
  for part in "${parts[@]+"${parts[@]}"}"; do [ -z "$part" ] || components+=("$part"); done
  local i last=$((${#components[@]} - 1))
  for ((i = 0; i <= last; i++)); do
    prefix="${prefix%/}/${components[i]#/}"
    [ -e "$prefix" ] || [ -L "$prefix" ] || return 0 # not there yet: made by us below
    read -r owner mode kind < <(stat -c '%u %a %F' -- "$prefix")
    if [ "$owner" != 0 ] && [ "$owner" != "$me" ]; then
      die "refusing $path: $prefix is owned by uid $owner, not root: that user could plant files or links that root then writes through (choose a DIR only root can write)"
    fi
    [ "$kind" = "symbolic link" ] && continue # a link's own mode means nothing; its target is checked as resolved
    if (((8#$mode & 8#022) != 0)) && { [ "$i" = "$last" ] || (((8#$mode & 8#1000) == 0)); }; then
      die "refusing $path: $prefix is writable by group or others (mode $mode): another user could plant files or links that root then writes through (chmod go-w $prefix, or choose another DIR)"
    fi
  done
}

# prepare_dir [create]: check DIR as given, make it when asked, then check it again as resolved (no
# symbolic link left in the path root acts on); DIR becomes that resolved path.
prepare_dir() {
  trusted_path "$dir"
  if [ ! -d "$dir" ]; then
    [ "${1:-}" = create ] || die "$dir: no such directory"
    [ -e "$dir" ] || [ -L "$dir" ] && die "$dir is not a directory"
    mkdir -p -- "$dir"
  fi
  local resolved
  resolved=$(realpath -e -- "$dir")
  trusted_path "$resolved"
  dir=$resolved
}

# Temporaries live in a directory of our own inside DIR (mktemp: a new name, mode 0700), on DIR's file
# system so that a rename puts them in place; it goes on every exit path. One left by a killed run is
# removed by the next (under the lock no other run has one).
PRIVATE_PREFIX=".$EXECUTABLE.tmp."
private=""
trap '[ -z "$private" ] || rm -rf -- "$private"' EXIT
make_private_dir() {
  local leftover
  for leftover in "$dir/$PRIVATE_PREFIX"*; do
    if [ -d "$leftover" ] && [ ! -L "$leftover" ]; then rm -rf -- "$leftover"; fi
  done
  private=$(mktemp -d -- "$dir/${PRIVATE_PREFIX}XXXXXXXX")
}

# Two runs at once would interleave their renames: one at a time per directory.
lock_dir() {
  exec 9<"$dir"
  flock 9
}

# --- file identity: device:inode and the bytes ------------------------------------------------------
declare -A sha_of_inode=()
# identify PATH: sets file_id to "dev:ino sha256"; the bytes hashed once per inode and run (every link
# shares one). Not in a subshell, so that the hash is remembered.
file_id=""
identify() {
  local inode sum
  inode=$(stat -c '%d:%i' -- "$1")
  if [ -z "${sha_of_inode[$inode]+x}" ]; then
    sum=$(sha256sum -b -- "$1")
    sha_of_inode[$inode]=${sum%% *}
  fi
  file_id="$inode ${sha_of_inode[$inode]}"
}

# --- what an earlier run installed ------------------------------------------------------------
owned_files=()
owned_names=()
read_manifest() {
  [ -f "$dir/$MANIFEST" ] && [ ! -L "$dir/$MANIFEST" ] || return 0
  local kind value sum
  while read -r kind value sum; do
    case "$kind" in
      # an entry without its bytes' hash (an older install.sh) cannot be told from a reused inode
      file) if [[ $sum =~ ^[0-9a-f]{64}$ ]]; then owned_files+=("$value $sum"); fi ;;
      name) if valid_name "$value"; then owned_names+=("$value"); fi ;;
    esac
  done <"$dir/$MANIFEST"
}

# Ours: listed, a regular file (not a symlink), and still the file we installed, with its bytes.
is_ours() {
  local path="$dir/$1" inode entry
  [ -f "$path" ] && [ ! -L "$path" ] || return 1
  contains "$1" "${owned_names[@]+"${owned_names[@]}"}" || return 1
  inode=$(stat -c '%d:%i' -- "$path")
  for entry in "${owned_files[@]+"${owned_files[@]}"}"; do
    [ "${entry%% *}" = "$inode" ] || continue
    identify "$path"
    [ "$file_id" = "$entry" ] && return 0
  done
  return 1
}

# write_manifest FILE-ID... -- NAME...: made in the private directory, then renamed into place.
write_manifest() {
  local tmp="$private/$MANIFEST" item section=file written=()
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
  mv -f -T -- "$tmp" "$dir/$MANIFEST"
}

# --- files --force replaced: kept in DIR/.cni-plugins.replaced/<name>, put back by --uninstall -------
saved_path() {
  echo "$dir/$REPLACED/$1"
}
has_saved() {
  [ -e "$(saved_path "$1")" ] || [ -L "$(saved_path "$1")" ]
}
# The kept files' directory: made by us, a real directory (nobody else can write DIR).
replaced_dir() {
  local saved="$dir/$REPLACED"
  if [ -L "$saved" ] || { [ -e "$saved" ] && [ ! -d "$saved" ]; }; then die "$saved is not a directory"; fi
  [ -d "$saved" ] || mkdir -m 0700 -- "$saved"
}
# save NAME: a second name (hard link) for the file at DIR/NAME, so that renaming ours over it loses nothing.
save() {
  replaced_dir
  ln -P -- "$dir/$1" "$(saved_path "$1")"
}
# restore NAME: the kept file back at DIR/NAME, by rename (over ours, if still there).
restore() {
  mv -f -T -- "$(saved_path "$1")" "$dir/$1"
}
forget_replaced_dir() {
  rmdir -- "$dir/$REPLACED" 2>/dev/null || true
}

uninstall_all() {
  prepare_dir
  lock_dir
  read_manifest
  if [ ! -f "$dir/$MANIFEST" ]; then
    echo "install.sh: nothing installed by install.sh in $dir"
    return 0
  fi
  local name removed=() restored=()
  for name in "${owned_names[@]+"${owned_names[@]}"}"; do
    if is_ours "$name"; then
      if has_saved "$name"; then
        restore "$name"
        restored+=("$name")
      else
        rm -f -- "$dir/$name"
        removed+=("$name")
      fi
    elif [ -e "$dir/$name" ] || [ -L "$dir/$name" ]; then
      echo "install.sh: left $dir/$name: not the file install.sh installed" >&2
      if has_saved "$name"; then echo "install.sh: kept $(saved_path "$name"): the file --force replaced there" >&2; fi
    elif has_saved "$name"; then
      restore "$name"
      restored+=("$name")
    fi
  done
  forget_replaced_dir
  rm -f -- "$dir/$MANIFEST"
  echo "install.sh: removed from $dir: ${removed[*]-nothing}${restored[*]+"; put back the files --force replaced: ${restored[*]}"}"
}

# The plugin names FILE holds. It picks what to be by the name it is run as, so it is run as
# cni-plugins (argv[0]) whatever its file is called.
listed_names() {
  [ -f "$from" ] && [ -x "$from" ] || die "$from: no executable file there (run ./build.sh first, or give --from FILE)"
  local listing name
  listing=$( (exec -a "$EXECUTABLE" "$from" --list)) || die "$from --list failed: not a multi-call $EXECUTABLE executable?"
  for name in $listing; do
    valid_name "$name" && [ "$name" != "$EXECUTABLE" ] && [ "$name" != "$REPLACED" ] || die "$from --list printed an invalid plugin name: $name"
    names+=("$name")
  done
  [ ${#names[@]} -gt 0 ] || die "$from --list printed no plugin names"
}

install_all() {
  local names=() name
  listed_names
  [ "$dir_given" = 1 ] || echo "install.sh: no DIR given: installing into $DEFAULT_DIR, the CNI default (what each runtime here reads is said below)"
  prepare_dir create
  lock_dir
  make_private_dir
  read_manifest

  # Refuse before changing anything.
  local conflicts=() replacing=()
  for name in "$EXECUTABLE" "${names[@]}"; do
    local path="$dir/$name"
    [ -e "$path" ] || [ -L "$path" ] || continue
    [ -d "$path" ] && [ ! -L "$path" ] && die "$path is a directory"
    is_ours "$name" && continue
    if [ "$force" = 0 ]; then
      conflicts+=("$path")
    elif has_saved "$name"; then
      die "not replacing $path: $(saved_path "$name") already keeps a file an earlier --force replaced (move one of them away first)"
    else
      replacing+=("$name")
    fi
  done
  if [ ${#conflicts[@]} -gt 0 ]; then
    die "not replacing files it did not install: ${conflicts[*]} (--force replaces them, keeping them in $dir/$REPLACED/ for --uninstall)"
  fi

  # The executable: reused when it is ours and already these bytes, else a complete copy made privately.
  local source="$dir/$EXECUTABLE"
  if ! is_ours "$EXECUTABLE" || ! cmp -s -- "$from" "$dir/$EXECUTABLE"; then
    source="$private/$EXECUTABLE"
    cp -- "$from" "$source"
    chmod 0755 "$source"
    sync -- "$source" 2>/dev/null || true
  fi
  identify "$source"
  local new_id=$file_id

  # Until the last rename, both the old file and the new one are ours (an interrupted run stays undoable).
  local all_names=("$EXECUTABLE" "${names[@]}")
  for name in "${owned_names[@]+"${owned_names[@]}"}"; do
    contains "$name" "${all_names[@]}" || all_names+=("$name")
  done
  write_manifest "${owned_files[@]+"${owned_files[@]}"}" "$new_id" -- "${all_names[@]}"

  for name in "${replacing[@]+"${replacing[@]}"}"; do save "$name"; done
  for name in "${names[@]}"; do
    [ "$dir/$name" -ef "$source" ] && [ ! -L "$dir/$name" ] && continue
    ln -P -- "$source" "$private/$name"
    mv -f -T -- "$private/$name" "$dir/$name"
  done
  [ "$source" = "$dir/$EXECUTABLE" ] || mv -f -T -- "$source" "$dir/$EXECUTABLE"

  # Plugins the new executable no longer holds: their links would run the old build.
  local stale=()
  for name in "${owned_names[@]+"${owned_names[@]}"}"; do
    [ "$name" = "$EXECUTABLE" ] && continue
    contains "$name" "${names[@]}" && continue
    if is_ours "$name"; then
      if has_saved "$name"; then restore "$name"; else rm -f -- "$dir/$name"; fi
      stale+=("$name")
    fi
  done
  forget_replaced_dir
  write_manifest "$new_id" -- "$EXECUTABLE" "${names[@]}"

  echo "install.sh: $dir/$EXECUTABLE with links ${names[*]}${stale[*]+"; removed ${stale[*]}"}${replacing[*]+"; replaced ${replacing[*]} (kept in $dir/$REPLACED/)"}"
  local plugins=()
  for name in "${names[@]}"; do contains "$name" "${TOOLS[@]}" || plugins+=("$name"); done
  report_runtimes "${plugins[@]}"
}

# --- which copy the container runtimes here will run ----------------------------------------------

# toml_strings FILE KEY: the strings of KEY's last assignment in a TOML file (`key = "a"` or
# `key = ["a", "b"]`, also over several lines), one a line. Enough for the plain keys read here.
toml_strings() {
  [ -f "$1" ] || return 0
  awk -v key="$2" '
    function strings(text, found) {
      found = ""
      while (match(text, /"[^"]*"|\047[^\047]*\047/)) {
        found = found substr(text, RSTART + 1, RLENGTH - 2) "\n"
        text = substr(text, RSTART + RLENGTH)
      }
      return found
    }
    { sub(/(^|[ \t])#.*/, "") }
    open { value = value " " $0; if (index($0, "]")) { open = 0; last = strings(value); seen = 1 } ; next }
    $0 ~ "^[ \t]*" key "[ \t]*=" {
      value = $0; sub(/^[^=]*=/, "", value)
      if (value ~ /^[ \t]*\[/ && !index(value, "]")) { open = 1; next }
      last = strings(value); seen = 1
    }
    END { if (seen) printf "%s", last }
  ' "$1"
}

# last_strings KEY FILE...: KEY from the last of the files that sets it (a later file overrides).
last_strings() {
  local key=$1 file values result=""
  shift
  for file in "$@"; do
    values=$(toml_strings "$file" "$key")
    [ -z "$values" ] || result=$values
  done
  printf '%s' "$result"
}

# first_program NAME: the runtime's executable under ROOT, if installed.
first_program() {
  local d
  for d in /usr/local/bin /usr/bin /usr/local/sbin /usr/sbin; do
    if [ -x "$ROOT$d/$1" ]; then
      echo "$ROOT$d/$1"
      return 0
    fi
  done
  return 1
}

any_file() {
  local file
  for file in "$@"; do [ -f "$file" ] && return 0; done
  return 1
}

# runtime_dirs RUNTIME: sets `search` (the directories it runs plugins from, in order, under ROOT) and
# `source` (where that list comes from); returns 1 when the runtime is not here.
runtime_dirs() {
  local program values="" conf=() d
  search=()
  case "$1" in
    containerd)
      local config="$ROOT/etc/containerd/config.toml"
      program=$(first_program containerd) || [ -f "$config" ] || return 1
      values=$(toml_strings "$config" bin_dirs) # containerd 2
      [ -n "$values" ] || values=$(toml_strings "$config" bin_dir)
      source="bin_dir in ${config#"$ROOT"}"
      if [ -z "$values" ] && [ -n "${program:-}" ] && "$program" config default >"$private/containerd.toml" 2>/dev/null; then
        values=$(toml_strings "$private/containerd.toml" bin_dirs)
        [ -n "$values" ] || values=$(toml_strings "$private/containerd.toml" bin_dir)
        source="containerd's default"
      fi
      [ -n "$values" ] || { values=$DEFAULT_DIR; source="containerd's default"; }
      ;;
    podman)
      if [ -n "${CONTAINERS_CONF:-}" ]; then
        conf=("$CONTAINERS_CONF")
      else
        conf=("$ROOT/usr/share/containers/containers.conf" "$ROOT/etc/containers/containers.conf")
        for d in "$ROOT"/etc/containers/containers.conf.d/*.conf; do [ -f "$d" ] && conf+=("$d"); done
      fi
      program=$(first_program podman) || any_file "${conf[@]}" || return 1
      if [ "$(last_strings network_backend "${conf[@]}")" = netavark ]; then
        source="network_backend netavark: podman runs no CNI plugins"
        return 0
      fi
      values=$(last_strings cni_plugin_dirs "${conf[@]}")
      source="cni_plugin_dirs in containers.conf"
      [ -n "$values" ] || { values=$(printf '%s\n' /usr/local/libexec/cni /usr/libexec/cni /usr/local/lib/cni /usr/lib/cni /opt/cni/bin); source="podman's default"; }
      ;;
    cri-o)
      conf=("$ROOT/etc/crio/crio.conf")
      for d in "$ROOT"/etc/crio/crio.conf.d/*.conf; do [ -f "$d" ] && conf+=("$d"); done
      program=$(first_program crio) || any_file "${conf[@]}" || return 1
      values=$(last_strings plugin_dirs "${conf[@]}")
      [ -n "$values" ] || values=$(last_strings plugin_dir "${conf[@]}")
      source="plugin_dirs in crio.conf"
      [ -n "$values" ] || { values=$DEFAULT_DIR; source="CRI-O's default"; }
      ;;
  esac
  while IFS= read -r d; do [ -z "$d" ] || search+=("$ROOT${d%/}"); done <<<"$values"
}

# report_runtimes PLUGIN...: for each runtime found, which file it will run for these names.
report_runtimes() {
  local runtime d name found ours=() others=() search=() source=""
  for runtime in containerd podman cri-o; do
    runtime_dirs "$runtime" || continue
    if [ ${#search[@]} -eq 0 ]; then
      echo "install.sh: $runtime: $source"
      continue
    fi
    local reads=0
    for d in "${search[@]}"; do [ "$d" -ef "$dir" ] && reads=1; done
    if [ "$reads" = 0 ]; then
      echo "install.sh: warning: $runtime runs plugins from ${search[*]} ($source), not from $dir: it will not run these (scripts/install.sh ${search[0]} installs them there)" >&2
      continue
    fi
    ours=()
    others=()
    for name in "$@"; do
      found=""
      for d in "${search[@]}"; do
        if [ -f "$d/$name" ] && [ -x "$d/$name" ]; then found="$d/$name"; break; fi
      done
      if [ "$found" -ef "$dir/$name" ]; then ours+=("$name"); else others+=("$found"); fi
    done
    [ ${#ours[@]} -eq 0 ] || echo "install.sh: $runtime will run these from $dir: ${ours[*]} (its search order: ${search[*]}; $source)"
    [ ${#others[@]} -eq 0 ] || echo "install.sh: warning: $runtime will run ${others[*]} instead (another copy earlier in its search order: ${search[*]}; $source)" >&2
  done
}

if [ "$uninstall" = 1 ]; then uninstall_all; else install_all; fi
