#!/usr/bin/env bash
# Compile cost of the macros: a crate with 20 handlers guarded by
# `#[requires_scope]`, a derived 20-scope enum and 3 derived claim structs,
# against the same crate written without tokenkind's macros (a hand-written
# `Scopes` impl, hand-written trait impls, `has_scope` checks in the bodies).
#
# Usage: bash benches/compile_cost.sh [runs]   (default 7; prints medians)
#
# Dependencies are built once; each timed run rebuilds only the crate
# itself after touching its source, with `cargo check` and `cargo build`
# (dev profile, incremental compilation off), alternating between the two
# crates.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
runs="${1:-7}"
dir="$root/target/compile-cost"
mkdir -p "$dir"

manifest() {
    cat <<TOML
[package]
name = "compile-cost-$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
tokenkind = { path = "$root/core", default-features = false, features = ["axum"] }
axum = { version = "0.8.4", default-features = false, features = ["http1", "tokio"] }
serde = { version = "1", features = ["derive"] }
TOML
}

claims_guarded() {
    cat <<'RS'
#[derive(tokenkind::AccessClaims, serde::Deserialize)]
pub struct Tenant { pub tenant_id: String, pub plan: Option<String> }
#[derive(tokenkind::AccessClaims, serde::Deserialize)]
pub struct Roles { pub roles: Vec<String> }
#[derive(tokenkind::IdClaims, serde::Deserialize)]
pub struct Profile { pub name: String, pub email: Option<String>, pub email_verified: bool }
RS
}

claims_plain() {
    cat <<'RS'
#[derive(serde::Deserialize)]
pub struct Tenant { pub tenant_id: String, pub plan: Option<String> }
impl tokenkind::AccessClaims for Tenant {}
#[derive(serde::Deserialize)]
pub struct Roles { pub roles: Vec<String> }
impl tokenkind::AccessClaims for Roles {}
#[derive(serde::Deserialize)]
pub struct Profile { pub name: String, pub email: Option<String>, pub email_verified: bool }
impl tokenkind::IdClaims for Profile {}
RS
}

generate() {
    local kind="$1" src="$dir/$1/src"
    mkdir -p "$src"
    manifest "$kind" > "$dir/$kind/Cargo.toml"
    {
        echo '#![allow(missing_docs)]'
        echo 'use axum::{Router, routing::get};'
        echo 'use tokenkind::{AccessToken, AccessTokenVerifier};'
        if [ "$kind" = guarded ]; then
            echo '#[derive(tokenkind::Scopes, Clone, Copy, PartialEq, Eq, Debug)]'
            echo 'pub enum Api {'
            for i in $(seq 0 19); do echo "    #[scope(\"scope:$i\")] S$i,"; done
            echo '}'
            claims_guarded
            for i in $(seq 0 19); do
                echo "#[tokenkind::requires_scope(\"scope:$i\")]"
                echo "pub async fn h$i(token: AccessToken<Api>) -> String { token.subject().to_owned() }"
            done
        else
            echo '#[derive(Clone, Copy, PartialEq, Eq, Debug)]'
            echo 'pub enum Api {'
            for i in $(seq 0 19); do echo "    S$i,"; done
            echo '}'
            echo 'impl tokenkind::Scopes for Api {'
            printf '    const NAMES: &'"'"'static [&'"'"'static str] = &['
            for i in $(seq 0 19); do printf '"scope:%s", ' "$i"; done
            echo '];'
            printf '    const ALL: &'"'"'static [Self] = &['
            for i in $(seq 0 19); do printf 'Self::S%s, ' "$i"; done
            echo '];'
            echo '    const TYPE_NAME: &'"'"'static str = "Api";'
            echo '    fn index(self) -> usize { self as usize }'
            echo '    fn index_of(scope: &str) -> Option<usize> { Self::NAMES.iter().position(|n| *n == scope) }'
            echo '}'
            claims_plain
            for i in $(seq 0 19); do
                echo "pub async fn h$i(token: AccessToken<Api>) -> Result<String, axum::http::StatusCode> {"
                echo "    if !token.has_scope(Api::S$i) { return Err(axum::http::StatusCode::FORBIDDEN); }"
                echo "    Ok(token.subject().to_owned())"
                echo "}"
            done
        fi
        echo 'pub fn app(verifier: AccessTokenVerifier<Api>) -> Router {'
        printf '    Router::new()'
        for i in $(seq 0 19); do printf '.route("/h%s", get(h%s))' "$i" "$i"; done
        echo '.with_state(verifier)'
        echo '}'
    } > "$src/lib.rs"
}

generate guarded
generate plain

build() { # kind, cargo subcommand; prints seconds
    touch "$dir/$1/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    CARGO_INCREMENTAL=0 cargo "$2" -q --manifest-path "$dir/$1/Cargo.toml" --target-dir "$dir/target" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

for kind in guarded plain; do
    cargo build -q --manifest-path "$dir/$kind/Cargo.toml" --target-dir "$dir/target"
    cargo check -q --manifest-path "$dir/$kind/Cargo.toml" --target-dir "$dir/target"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for cmd in check build; do
    g=(); p=()
    for _ in $(seq "$runs"); do
        g+=("$(build guarded "$cmd")")
        p+=("$(build plain "$cmd")")
    done
    mg=$(printf '%s\n' "${g[@]}" | median)
    mp=$(printf '%s\n' "${p[@]}" | median)
    printf 'cargo %-5s  with macros %6.2f s   without %6.2f s   ratio %.2f   (median of %s)\n' \
        "$cmd" "$mg" "$mp" "$(echo "$mg / $mp" | bc -l)" "$runs"
done
