#!/bin/bash
# tierform lab: the root filesystem of the lab's base image, a minimal Debian 12 (bookworm) made by debootstrap
# from the Debian archive, trimmed like Debian's official "slim" images (no documentation, man pages or
# locales; apt lists and caches emptied). The lab imports it with `docker import` (lib/lab/docker/images.ts).
#
#   make-rootfs.sh <target directory> <mirror>
set -euo pipefail

target="$1"
mirror="$2"

if [ -e "$target" ]; then
  echo "make-rootfs.sh: $target already exists" >&2
  exit 2
fi

debootstrap --variant=minbase --include=ca-certificates bookworm "$target" "$mirror"

# What Debian's slim images exclude from every later package installation as well.
mkdir -p "$target/etc/dpkg/dpkg.cfg.d"
cat > "$target/etc/dpkg/dpkg.cfg.d/tierform-lab-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
# apt in image builds: no recommends, no caches kept in layers.
cat > "$target/etc/apt/apt.conf.d/90tierform-lab" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CFG
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
  "$mirror" "$mirror" > "$target/etc/apt/sources.list"

find "$target/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
find "$target/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$target/usr/share/man/"* "$target/usr/share/info/"*
find "$target/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$target/var/lib/apt/lists/"* "$target/var/cache/apt/"*.bin "$target/var/cache/apt/archives/"*.deb
rm -f "$target/var/log/"*.log "$target/var/log/apt/"* "$target/etc/hostname" "$target/etc/resolv.conf"
: > "$target/etc/machine-id"
