#!/bin/sh
# The gateway image's entrypoint: renders nginx.conf.template from the environment into
# $NGINX_RUNTIME_DIR (the root filesystem is read-only), checks it, then runs nginx in
# the foreground. The placeholders are read from the template itself, so adding one
# there needs nothing here; each must be set, and be one nginx token (as devstack's
# renderer demands), or the gateway stops at once with one line saying which.
# GATEWAY_TRUSTED_PROXIES (addresses or CIDR ranges, commas or blanks between them)
# becomes trusted-proxies.conf, which the template includes: the proxies whose
# X-Forwarded-For names the client. GATEWAY_TEMPLATE moves the template (tests).
# What API consumers meet, GATEWAY_CORS_*, GATEWAY_READ_*, GATEWAY_WRITE_* and
# GATEWAY_GZIP_*, is checked and defaulted as devstack/gateway_edge.py does for `make run`
# (a test holds the two to the same output); see the block below.
set -euf  # no globbing: values are split on blanks below, never expanded
template=${GATEWAY_TEMPLATE:-/etc/pyservices/nginx.conf.template}
: "${NGINX_RUNTIME_DIR:=/tmp/nginx}"
export NGINX_RUNTIME_DIR

# --- for API consumers: CORS, per-client limits, compression ---------------------------
# Lists take commas or blanks between entries; empty is the default. Patterns, defaults
# and file contents are devstack/gateway_edge.py's.
edge_setting() {  # NAME DEFAULT PATTERN MEANING: normalized, checked and exported
  eval "value=\${$1-}"
  value=$(printf '%s' "$value" | tr -s ', \t\r\n' ',,,,,' | sed 's/^,//; s/,$//')
  [ -n "$value" ] || value=$2
  if ! printf '%s\n' "$value" | grep -Eqx "$3"; then
    echo "gateway: $1: '$value' is not $4" >&2
    exit 64
  fi
  eval "$1=\$value"
  export "$1"
}
words() { echo "$#"; }
limit_config() {  # KIND RATE BURST: nothing for rate 0; nginx refuses burst=0, its default
  [ "$2" = 0 ] && return 0
  printf 'limit_req_zone $gateway_%s_client zone=gateway_%ss:10m rate=%sr/s;\n' "$1" "$1" "$2"
  burst=''
  [ "$3" = 0 ] || burst=" burst=$3"
  printf 'limit_req zone=gateway_%ss%s nodelay;\n' "$1" "$burst"
}
mkdir -p "$NGINX_RUNTIME_DIR"
origins=$(printf '%s' "${GATEWAY_CORS_ORIGINS-}" | tr ',' ' ')
case " $origins " in
  *' * '*) [ "$(words $origins)" -eq 1 ] || { echo "gateway: GATEWAY_CORS_ORIGINS: * (any origin) stands alone" >&2; exit 64; } ;;
esac
: >"$NGINX_RUNTIME_DIR/cors-origins.conf"
for origin in $origins; do
  if [ "$origin" = '*' ]; then
    echo 'default "*";' >>"$NGINX_RUNTIME_DIR/cors-origins.conf"
  elif printf '%s\n' "$origin" | grep -Eqx 'https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?'; then
    echo "\"$origin\" \$http_origin;" >>"$NGINX_RUNTIME_DIR/cors-origins.conf"
  else
    echo "gateway: GATEWAY_CORS_ORIGINS: '$origin' is not an origin (scheme://host[:port], no path, or * alone)" >&2
    exit 64
  fi
done
edge_setting GATEWAY_CORS_METHODS GET,HEAD,POST,PUT,PATCH,DELETE '[A-Z]+(,[A-Z]+)*' 'HTTP methods'
edge_setting GATEWAY_CORS_HEADERS Authorization,Content-Type,X-Request-ID '[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*' 'header names'
edge_setting GATEWAY_CORS_MAX_AGE 600 '0|[1-9][0-9]{0,4}' 'a number of seconds up to 99999'
edge_setting GATEWAY_READ_RATE 0 '0|[1-9][0-9]{0,5}' 'requests per second, 0 for no limit'
edge_setting GATEWAY_READ_BURST 50 '0|[1-9][0-9]{0,5}' 'a number of requests'
edge_setting GATEWAY_WRITE_RATE 0 '0|[1-9][0-9]{0,5}' 'requests per second, 0 for no limit'
edge_setting GATEWAY_WRITE_BURST 20 '0|[1-9][0-9]{0,5}' 'a number of requests'
edge_setting GATEWAY_GZIP_MIN_BYTES 1024 '0|[1-9][0-9]{0,8}' 'a number of bytes'
edge_setting GATEWAY_GZIP_LEVEL 1 '[1-9]' 'a gzip level from 1 to 9'
{
  limit_config read "$GATEWAY_READ_RATE" "$GATEWAY_READ_BURST"
  limit_config write "$GATEWAY_WRITE_RATE" "$GATEWAY_WRITE_BURST"
} >"$NGINX_RUNTIME_DIR/client-limits.conf"
# --- end of the API consumers' part ----------------------------------------------------

names=$(grep -v '^[[:space:]]*#' "$template" | grep -o '\${[A-Z][A-Z0-9_]*}' | tr -d '${}' | sort -u)
for name in $names; do
  eval "value=\${$name-}"
  case "$value" in
    '') echo "gateway: missing $name" >&2; exit 64 ;;
    *[[:space:]\;\{\}\'\"\#\$\\]*) echo "gateway: invalid $name (not a single nginx token)" >&2; exit 64 ;;
  esac
done
mkdir -p "$NGINX_RUNTIME_DIR"
: >"$NGINX_RUNTIME_DIR/trusted-proxies.conf"
for proxy in $(printf '%s' "${GATEWAY_TRUSTED_PROXIES-}" | tr ',' ' '); do
  case "$proxy" in
    *[!0-9A-Fa-f.:/]*) echo "gateway: invalid GATEWAY_TRUSTED_PROXIES entry $proxy (an address or CIDR range)" >&2; exit 64 ;;
  esac
  echo "set_real_ip_from $proxy;" >>"$NGINX_RUNTIME_DIR/trusted-proxies.conf"
done
envsubst "$(printf '${%s} ' $names)" <"$template" >"$NGINX_RUNTIME_DIR/nginx.conf"
if [ "$#" -eq 0 ]; then
  set -- nginx -p "$NGINX_RUNTIME_DIR/" -e stderr -c "$NGINX_RUNTIME_DIR/nginx.conf" -g 'daemon off;'
fi
exec "$@"
