#!/usr/bin/env bash
# Makes everything docker-compose.yml needs that must not be committed: random secrets,
# a private certificate authority with a TLS certificate for the stack's two host names,
# and `.env`. Run it from anywhere: `npm run deploy:secrets` or `deploy/make-secrets.sh`.
#
#   deploy/make-secrets.sh                  make what is missing; keep every existing value
#   deploy/make-secrets.sh --rotate NAME    replace one secret (see "Rotating" in README.md)
#   deploy/make-secrets.sh --list           the secrets it knows, one a line
#
# Layout: one directory per container under secrets/, each mounted read-only as a whole
# (a single-file mount follows the inode, so a replaced file would never reach the
# container). A value two containers share is written to both from one place here, and
# every file is replaced by a rename, so a watcher never reads half a secret.
#
# Settings (environment, or the .env this script writes): SECRETS_DIR (default
# <repo>/secrets), SHOP_HOST (shop.localhost), AUTH_HOST (auth.localhost), HTTPS_PORT (8443).
set -euo pipefail
umask 077

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="${ENV_FILE:-$ROOT/.env}"
# A value already in .env wins over the default, so a re-run keeps the host names.
env_value() { if [[ -f "$ENV_FILE" ]]; then sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; fi; }
SECRETS_DIR="${SECRETS_DIR:-$ROOT/secrets}"
SHOP_HOST="${SHOP_HOST:-$(env_value SHOP_HOST)}"; SHOP_HOST="${SHOP_HOST:-shop.localhost}"
AUTH_HOST="${AUTH_HOST:-$(env_value AUTH_HOST)}"; AUTH_HOST="${AUTH_HOST:-auth.localhost}"
HTTPS_PORT="${HTTPS_PORT:-$(env_value HTTPS_PORT)}"; HTTPS_PORT="${HTTPS_PORT:-8443}"

# name → the files (relative to SECRETS_DIR) that hold it; the first is where it is kept.
declare -A FILES=(
  [oidc_client_secret]="bff/oidc_client_secret keycloak/bff_client_secret"
  [session_secret]="bff/session_secret"
  [session_encryption_key]="bff/session_encryption_key"
  [catalog_api_key]="bff/catalog_api_key demo/catalog_api_key"
  [payments_secret_key]="bff/payments_secret_key demo/payments_secret_key"
  [redis_password]="bff/redis_password"
  [introspection_client_secret]="demo/introspection_client_secret keycloak/introspection_client_secret"
  [keycloak_admin_password]="keycloak/admin_password"
)
ORDER=(oidc_client_secret session_secret session_encryption_key catalog_api_key payments_secret_key
  redis_password introspection_client_secret keycloak_admin_password)
# Settings that accept "new,old" (newest first): rotating keeps the previous value as the
# second entry, so sessions signed or encrypted with it stay readable.
KEEPS_PREVIOUS=" session_secret session_encryption_key "

die() { echo "make-secrets: $*" >&2; exit 1; }
random() { openssl rand -base64 48 | tr -d '\n=' | tr '+/' '-_'; }

# Writes $2 to $1 through a temporary file and a rename (atomic on one filesystem).
put() {
  local file="$SECRETS_DIR/$1"
  mkdir -p "$(dirname "$file")"
  chmod 755 "$(dirname "$file")"
  local tmp
  tmp="$(mktemp "$file.XXXXXX")"
  printf '%s' "$2" >"$tmp"
  # Readable inside the containers whatever user they run as; the top directory (0700)
  # keeps other users of the host out.
  chmod 644 "$tmp"
  mv -f "$tmp" "$file"
}

# Copies file $1 to $2 (relative to SECRETS_DIR) the same way, bytes unchanged.
put_file() {
  local file="$SECRETS_DIR/$2" tmp
  mkdir -p "$(dirname "$file")"
  chmod 755 "$(dirname "$file")"
  tmp="$(mktemp "$file.XXXXXX")"
  cat "$1" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$file"
}

# The value of secret $1, making it when missing (or when $2 is "rotate").
secret() {
  local name="$1" mode="${2:-keep}" files home value
  read -r -a files <<<"${FILES[$name]}"
  home="$SECRETS_DIR/${files[0]}"
  if [[ -s "$home" && "$mode" == keep ]]; then
    value="$(cat "$home")"
  elif [[ -s "$home" && "$KEEPS_PREVIOUS" == *" $name "* ]]; then
    value="$(random),$(cut -d, -f1 <"$home")"
  else
    value="$(random)"
  fi
  for f in "${files[@]}"; do
    if [[ "$mode" == rotate || ! -s "$SECRETS_DIR/$f" || "$(cat "$SECRETS_DIR/$f")" != "$value" ]]; then
      put "$f" "$value"
    fi
  done
  printf '%s' "$value"
}

# Redis reads its users from an ACL file (re-read by `ACL LOAD`, no restart): the BFF's
# password for the default user, and a password-less user that may only PING, for the
# healthcheck.
redis_acl() {
  put redis/users.acl "user default on >$1 ~* &* +@all
user healthcheck on nopass -@all +ping
"
}

# A private CA (kept in ca/, never mounted) and a server certificate for both host names.
# Containers trust the CA through NODE_EXTRA_CA_CERTS / KC_TRUSTSTORE_PATHS; so can you.
tls() {
  local mode="${1:-keep}" dir="$SECRETS_DIR/ca"
  mkdir -p "$dir" "$SECRETS_DIR/caddy"
  chmod 700 "$dir"
  chmod 755 "$SECRETS_DIR/caddy"
  if [[ ! -s "$dir/ca.key" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=shop BFF local CA" \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  fi
  if [[ "$mode" == rotate || ! -s "$SECRETS_DIR/caddy/tls.crt" ]]; then
    local tmp
    tmp="$(mktemp -d)"
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$SHOP_HOST" \
      -keyout "$tmp/tls.key" -out "$tmp/tls.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' "$SHOP_HOST" "$AUTH_HOST" >"$tmp/ext"
    openssl x509 -req -in "$tmp/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 825 -sha256 -extfile "$tmp/ext" -out "$tmp/tls.crt" 2>/dev/null
    put_file "$tmp/tls.key" caddy/tls.key
    put_file "$tmp/tls.crt" caddy/tls.crt
    rm -rf "$tmp"
  fi
  for d in bff demo keycloak; do
    cmp -s "$dir/ca.crt" "$SECRETS_DIR/$d/ca.crt" || put_file "$dir/ca.crt" "$d/ca.crt"
  done
}

write_env() {
  if [[ -f "$ENV_FILE" ]]; then
    echo "kept $ENV_FILE"
    return
  fi
  sed -e "s/^SHOP_HOST=.*/SHOP_HOST=$SHOP_HOST/" -e "s/^AUTH_HOST=.*/AUTH_HOST=$AUTH_HOST/" \
    -e "s/^HTTPS_PORT=.*/HTTPS_PORT=$HTTPS_PORT/" "$ROOT/.env.example" >"$ENV_FILE"
  chmod 644 "$ENV_FILE"
  echo "wrote $ENV_FILE"
}

case "${1:-}" in
  --list)
    printf '%s\n' "${ORDER[@]}" tls
    ;;
  --rotate)
    name="${2:-}"
    [[ -n "$name" ]] || die "--rotate needs a name (see --list)"
    mkdir -p "$SECRETS_DIR" && chmod 700 "$SECRETS_DIR"
    if [[ "$name" == tls ]]; then
      tls rotate
    elif [[ -n "${FILES[$name]:-}" ]]; then
      value="$(secret "$name" rotate)"
      [[ "$name" == redis_password ]] && redis_acl "$value"
    else
      die "unknown secret '$name' (see --list)"
    fi
    echo "rotated $name"
    ;;
  "")
    mkdir -p "$SECRETS_DIR" && chmod 700 "$SECRETS_DIR"
    for name in "${ORDER[@]}"; do
      value="$(secret "$name")"
      [[ "$name" == redis_password ]] && redis_acl "$value"
    done
    tls
    write_env
    echo "secrets in $SECRETS_DIR"
    ;;
  *)
    die "unknown option '$1' (use --rotate NAME or --list)"
    ;;
esac
