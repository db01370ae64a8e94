{{- /*
A component's environment, derived from what it talks to. Every name is a setting of
that part (its settings class, the gateway template's placeholders, Locust's own
LOCUST_* options) or the OpenTelemetry SDK's OTEL_EXPORTER_OTLP_ENDPOINT; the chart's
contract tests hold it to that.
*/ -}}

{{/* The plain settings (a ConfigMap), as a YAML map. */}}
{{- define "pyservices.componentSettings" -}}
{{- $ctx := .ctx -}}
{{- $c := .c -}}
{{- $settings := dict -}}
{{- range $service := $c.calls | default list -}}
{{- $callee := index $ctx.Values.components $service -}}
{{- $_ := set $settings (printf "%s_URL" (upper $service)) (printf "http://%s:%v" (include "pyservices.name" (dict "ctx" $ctx "part" $service)) $callee.port) -}}
{{- end -}}
{{- range $service := $c.upstreams | default list -}}
{{- $callee := index $ctx.Values.components $service -}}
{{- $_ := set $settings (printf "%s_UPSTREAM" (upper $service)) (printf "%s:%v" (include "pyservices.name" (dict "ctx" $ctx "part" $service)) $callee.port) -}}
{{- end -}}
{{- if $c.upstreams -}}
{{- $_ := set $settings "GATEWAY_LISTEN" (toString $c.port) -}}
{{- $_ := set $settings "NGINX_RUNTIME_DIR" "/tmp/nginx" -}}
{{- $_ := set $settings "GATEWAY_TRUSTED_PROXIES" (join "," ($c.trustedProxies | default list)) -}}
{{- include "pyservices.gatewayEdgeSettings" (dict "c" $c "settings" $settings) -}}
{{- end -}}
{{- if $c.targetUrl -}}
{{- $_ := set $settings "LOCUST_HOST" $c.targetUrl -}}
{{- else if $c.target -}}
{{- $_ := set $settings "LOCUST_HOST" (printf "http://%s:%v" (include "pyservices.name" (dict "ctx" $ctx "part" $c.target)) (index $ctx.Values.components $c.target).port) -}}
{{- end -}}
{{- /* The issuer's token lifetime, and the longest each verifier accepts. */ -}}
{{- if $c.tokens -}}
{{- $_ := set $settings "ACCESS_TOKEN_TTL_SECONDS" (toString $ctx.Values.tokens.ttlSeconds) -}}
{{- end -}}
{{- if and $c.metricsPort (not $c.target) -}}
{{- $_ := set $settings "METRICS_PORT" (toString $c.metricsPort) -}}
{{- end -}}
{{- /* Said outright for every service, off by default: values.yaml "faults". */ -}}
{{- if $c.database -}}
{{- $_ := set $settings "FAULTS_ENABLED" (ternary "true" "false" $ctx.Values.faults.enabled) -}}
{{- end -}}
{{- if and $ctx.Values.tracing.enabled (or $c.database $c.databasesOf) -}}
{{- $_ := set $settings "OTEL_EXPORTER_OTLP_ENDPOINT" (include "pyservices.otlpEndpoint" $ctx) -}}
{{- end -}}
{{- range $key, $value := $c.env -}}
{{- $_ := set $settings $key $value -}}
{{- end -}}
{{- toYaml $settings -}}
{{- end -}}

{{/* The secret settings, as `env` entries: secretKeyRefs, and URLs completed with
passwords from them (pyservices.databaseUrlEnv). */}}
{{- define "pyservices.componentSecrets" -}}
{{- $ctx := .ctx -}}
{{- $c := .c -}}
{{- if $c.database }}
{{ include "pyservices.databaseUrlEnv" (dict "ctx" $ctx "service" .name "name" "DATABASE_URL") }}
{{- end }}
{{- range $service := $c.databasesOf | default list }}
{{ include "pyservices.databaseUrlEnv" (dict "ctx" $ctx "service" $service "name" (printf "%s_DATABASE_URL" (upper $service))) }}
{{- end }}
{{- if $c.redis }}
{{ include "pyservices.redisUrlEnv" $ctx }}
{{- end }}
{{- if $c.tokens }}
- name: JWT_PUBLIC_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "pyservices.secrets.tokens" $ctx }}, key: public-key}
{{- end }}
{{- if and $c.database $ctx.Values.faults.enabled }}
- name: FAULT_ADMIN_TOKEN
  valueFrom:
    secretKeyRef: {name: {{ $ctx.Values.faults.existingSecret }}, key: {{ $ctx.Values.faults.tokenKey }}}
{{- end }}
{{- if eq ($c.tokens | default "") "sign" }}
- name: JWT_PRIVATE_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "pyservices.secrets.tokens" $ctx }}, key: private-key}
{{- end }}
{{- end -}}

{{/* What the gateway's API consumers meet: CORS, per-client limits, compression, as the
variables gateway/entrypoint.sh reads (devstack/gateway_edge.py for `make run`). */}}
{{- define "pyservices.gatewayEdgeSettings" -}}
{{- $c := .c -}}
{{- $s := .settings -}}
{{- $_ := set $s "GATEWAY_CORS_ORIGINS" (join "," $c.cors.allowedOrigins) -}}
{{- $_ := set $s "GATEWAY_CORS_METHODS" (join "," $c.cors.allowedMethods) -}}
{{- $_ := set $s "GATEWAY_CORS_HEADERS" (join "," $c.cors.allowedHeaders) -}}
{{- $_ := set $s "GATEWAY_CORS_MAX_AGE" (toString (int64 $c.cors.maxAgeSeconds)) -}}
{{- $_ := set $s "GATEWAY_READ_RATE" (toString (int64 $c.rateLimits.reads.perSecond)) -}}
{{- $_ := set $s "GATEWAY_READ_BURST" (toString (int64 $c.rateLimits.reads.burst)) -}}
{{- $_ := set $s "GATEWAY_WRITE_RATE" (toString (int64 $c.rateLimits.writes.perSecond)) -}}
{{- $_ := set $s "GATEWAY_WRITE_BURST" (toString (int64 $c.rateLimits.writes.burst)) -}}
{{- $_ := set $s "GATEWAY_GZIP_MIN_BYTES" (toString (int64 $c.compression.minBytes)) -}}
{{- $_ := set $s "GATEWAY_GZIP_LEVEL" (toString (int64 $c.compression.level)) -}}
{{- end -}}
