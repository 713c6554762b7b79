#!/usr/bin/env bash
# Installs whatever `make serve` and `make test` need and is missing; does nothing (and prints
# nothing) when everything is already there. Safe to run any number of times.
#
#   - Rust target wasm32-unknown-unknown, rustfmt and clippy        (rustup)
#   - wasm-pack                                                      (cargo install)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (cargo install)
#   - chromium, chromium-driver                                      (apt-get)
#   - npm packages of www/ (uPlot; binaryen's wasm-opt) and tests/ (Playwright, axe), without
#     Playwright's browser download                                  (npm ci)
#
# wasm-opt comes from npm's binaryen, not Debian's: bookworm's binaryen 108 rewrites the export of
# wasm-bindgen's externref table to point at the function table, and the module fails to load.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

die() {
    echo "setup: $*" >&2
    exit 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

# Another process (a provisioning job, a second `make`) may be installing the same thing right
# now; let it finish instead of racing it. Waits at most 30 minutes.
wait_for() {
    local pattern=$1 waited=0
    while pgrep -f -- "$pattern" >/dev/null 2>&1; do
        if [ "$waited" -eq 0 ]; then
            echo "setup: waiting for a running '$pattern' to finish"
        fi
        if [ "$waited" -ge 1800 ]; then
            die "gave up waiting for '$pattern' after 30 minutes"
        fi
        sleep 5
        waited=$((waited + 5))
    done
}

# --- Rust ----------------------------------------------------------------------------------------

have cargo || die "cargo not found: install Rust with rustup (https://rustup.rs) first"
have rustup || die "rustup not found: the wasm32-unknown-unknown target is added with rustup"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown ||
        die "could not install the Rust target wasm32-unknown-unknown (rustup target add failed)"
fi

components=()
cargo fmt --version >/dev/null 2>&1 || components+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || components+=(clippy)
if [ "${#components[@]}" -gt 0 ]; then
    rustup component add "${components[@]}" ||
        die "could not install ${components[*]} (rustup component add failed)"
fi

if ! have wasm-pack; then
    wait_for "cargo install wasm-pack"
    if ! have wasm-pack; then
        echo "setup: installing wasm-pack"
        cargo install wasm-pack || die "could not install wasm-pack (cargo install wasm-pack failed)"
    fi
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly, or the generated glue is rejected.
lock_version() {
    [ -f Cargo.lock ] || return 0
    awk '/^name = "wasm-bindgen"$/ { found = 1; next }
         found && /^version = / { gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}
bindgen_version=$(lock_version)
if [ -z "$bindgen_version" ]; then
    # No lock file yet (or an incomplete one): resolve it without upgrading existing entries.
    cargo metadata --format-version 1 >/dev/null || die "could not resolve Cargo.lock (cargo metadata failed)"
    bindgen_version=$(lock_version)
fi
[ -n "$bindgen_version" ] || die "Cargo.lock has no wasm-bindgen package; is web/ a workspace member?"

installed_bindgen() {
    if have wasm-bindgen && have wasm-bindgen-test-runner; then
        wasm-bindgen --version 2>/dev/null | awk '{ print $2 }'
    fi
}
if [ "$(installed_bindgen)" != "$bindgen_version" ]; then
    wait_for "cargo install wasm-bindgen-cli"
    if [ "$(installed_bindgen)" != "$bindgen_version" ]; then
        echo "setup: installing wasm-bindgen-cli $bindgen_version"
        cargo install wasm-bindgen-cli --version "$bindgen_version" --force ||
            die "could not install wasm-bindgen-cli $bindgen_version (cargo install wasm-bindgen-cli failed)"
    fi
fi

# --- Debian packages -----------------------------------------------------------------------------

apt_packages=()
{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || apt_packages+=(chromium chromium-driver)
have npm || apt_packages+=(nodejs npm)

if [ "${#apt_packages[@]}" -gt 0 ]; then
    have apt-get || die "missing ${apt_packages[*]} and apt-get is not available to install them"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        have sudo || die "missing ${apt_packages[*]}: run as root or install sudo"
        sudo=(sudo)
    fi
    echo "setup: installing ${apt_packages[*]}"
    # Wait for a concurrent apt/dpkg run instead of failing on its lock.
    apt_opts=(-q -o DPkg::Lock::Timeout=1800)
    "${sudo[@]}" apt-get "${apt_opts[@]}" update ||
        die "could not install ${apt_packages[*]} (apt-get update failed)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get "${apt_opts[@]}" install -y "${apt_packages[@]}" ||
        die "could not install ${apt_packages[*]} (apt-get install failed)"
fi

[ -x /usr/bin/chromium ] || die "could not install chromium (/usr/bin/chromium is missing)"
[ -x /usr/bin/chromedriver ] || die "could not install chromium-driver (/usr/bin/chromedriver is missing)"
have npm || die "could not install npm"

# --- npm -----------------------------------------------------------------------------------------

# npm ci starts from an empty node_modules/, so a stamp inside it says "installed from this lock".
# (npm's own node_modules/.package-lock.json is no stamp: `npm install --package-lock-only`
# rewrites it without installing anything.)
for dir in www tests; do
    stamp=$dir/node_modules/.npm-ci-stamp
    if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
        echo "setup: installing npm packages in $dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
            die "could not install the npm packages of $dir/ (npm ci failed)"
        touch "$stamp"
    fi
done

[ -x www/node_modules/.bin/wasm-opt ] || die "www/node_modules/.bin/wasm-opt is missing (npm package binaryen)"
