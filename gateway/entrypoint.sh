#!/bin/sh
# The gateway image's entrypoint: renders nginx.conf.template from the environment into
# $NGINX_RUNTIME_DIR (the root filesystem is read-only), checks it, then runs nginx in
# the foreground. The placeholders are read from the template itself, so adding one
# there needs nothing here; each must be set, and be one nginx token (as devstack's
# renderer demands), or the gateway stops at once with one line saying which.
# GATEWAY_TRUSTED_PROXIES (addresses or CIDR ranges, commas or blanks between them)
# becomes trusted-proxies.conf, which the template includes: the proxies whose
# X-Forwarded-For names the client. GATEWAY_TEMPLATE moves the template (tests).
set -euf  # no globbing: values are split on blanks below, never expanded
template=${GATEWAY_TEMPLATE:-/etc/pyservices/nginx.conf.template}
: "${NGINX_RUNTIME_DIR:=/tmp/nginx}"
export NGINX_RUNTIME_DIR
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
