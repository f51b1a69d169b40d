#!/bin/sh
# @fileoverview Installs the editors the LSP tests drive (Debian's neovim, emacs-nox, elpa-eglot)
# when they are missing. Run as root; .ci/run calls it before the tests. Idempotent: does nothing
# when all three are already present.
set -eu

missing=""
command -v nvim >/dev/null 2>&1 || missing="$missing neovim"
command -v emacs >/dev/null 2>&1 || missing="$missing emacs-nox"
# eglot is a Lisp package, not a binary: ask dpkg (Emacs 29+ ships it built in, Debian 12's 28 does not).
# dpkg -s succeeds for a package removed but not purged: compare the status itself.
[ "$(dpkg-query -W -f='${Status}' elpa-eglot 2>/dev/null)" = "install ok installed" ] || missing="$missing elpa-eglot"

if [ -z "$missing" ]; then
  echo "install-editors: neovim, emacs-nox and elpa-eglot already installed"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-editors: need root to apt-get install:$missing" >&2
  exit 1
fi

echo "install-editors: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -o Acquire::Retries=3 update -qq
# shellcheck disable=SC2086 -- word splitting of the package list is intended
apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends $missing
