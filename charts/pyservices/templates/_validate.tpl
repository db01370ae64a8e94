{{- /*
What a schema cannot say about the values, checked when the chart renders: `helm
install` stops with one clear line instead of leaving a pod that crash-loops.
*/ -}}
{{- define "pyservices.validate" -}}
{{- $v := .Values -}}
{{- range $server := list "postgres" "mysql" "redis" }}
{{- $s := index $v $server }}
{{- if and $s.external.url $s.external.existingSecret }}
{{- fail (printf "%s.external: give url or existingSecret, not both" $server) }}
{{- end }}
{{- if and $s.enabled (or $s.external.url $s.external.existingSecret) }}
{{- fail (printf "%s.external is set but %s.enabled is true: set %s.enabled=false to use your own server" $server $server $server) }}
{{- end }}
{{- with $s.external.url }}
{{- $scheme := (urlParse .).scheme }}
{{- $expected := dict "postgres" (list "postgresql" "postgres") "mysql" (list "mysql" "mariadb") "redis" (list "redis" "rediss") }}
{{- if not (has $scheme (index $expected $server)) }}
{{- fail (printf "%s.external.url must start with %s://" $server (first (index $expected $server))) }}
{{- end }}
{{- include "pyservices.validateQuery" (dict "server" $server "url" .) }}
{{- end }}
{{- end }}
{{- range $name, $c := $v.components }}
{{- if $c.enabled }}
{{- $services := concat (ternary (list $name) list (hasKey $c "database")) ($c.databasesOf | default list) }}
{{- range $service := $services }}
{{- $server := include "pyservices.databaseOf" (dict "ctx" $ "service" $service) }}
{{- $s := index $v $server }}
{{- if not (or $s.enabled $s.external.url $s.external.existingSecret) }}
{{- fail (printf "components.%s needs the %s database of %s, which is on %s: neither installed (%s.enabled) nor given (%s.external.url or .existingSecret)" $name $service $service $server $server $server) }}
{{- end }}
{{- end }}
{{- if and $c.redis (not (or $v.redis.enabled $v.redis.external.url $v.redis.external.existingSecret)) }}
{{- fail (printf "components.%s needs Redis: set redis.enabled or redis.external.url / .existingSecret" $name) }}
{{- end }}
{{- $target := ternary "" ($c.target | default "") (not (empty $c.targetUrl)) }}
{{- range $other := concat ($c.calls | default list) ($c.upstreams | default list) (compact (list $target)) }}
{{- if not (index $v.components $other).enabled }}
{{- fail (printf "components.%s talks to %s, which is disabled: enable it or disable %s" $name $other $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if and $v.comparison.enabled (not (or $v.components.gateway.enabled $v.components.locust.targetUrl)) }}
{{- fail "comparison needs a gateway: enable it or set components.locust.targetUrl" }}
{{- end }}
{{- with $v.components.gateway }}
{{- if and (has "*" .cors.allowedOrigins) (gt (len .cors.allowedOrigins) 1) }}
{{- fail "components.gateway.cors.allowedOrigins: * (any origin) stands alone" }}
{{- end }}
{{- if and $v.comparison.enabled .enabled (not $v.components.locust.targetUrl) (or .rateLimits.reads.perSecond .rateLimits.writes.perSecond) }}
{{- fail "comparison drives the gateway from one address, so components.gateway.rateLimits would be what it measures: set their perSecond to 0 for the comparison" }}
{{- end }}
{{- end }}
{{- if and $v.faults.enabled (not $v.faults.existingSecret) }}
{{- fail "faults.enabled needs faults.existingSecret: a Secret holding the admin token (at least 16 characters) under faults.tokenKey" }}
{{- end }}
{{- if and $v.autoscaling.enabled (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) }}
{{- fail (printf "autoscaling.maxReplicas (%v) is below autoscaling.minReplicas (%v)" $v.autoscaling.maxReplicas $v.autoscaling.minReplicas) }}
{{- end }}
{{- $latest := "a moving tag: nodes that have an image under it keep running it (IfNotPresent), so pods of one release run different code, and the migration Jobs, named after the image reference, would not run again for new code; use a tag per build (a version or git commit)" }}
{{- if eq $v.image.tag "latest" }}
{{- fail (printf "image.tag latest is %s" $latest) }}
{{- end }}
{{- range $part, $reference := $v.image.overrides }}
{{- if hasSuffix ":latest" ($reference | default "") }}
{{- fail (printf "image.overrides.%s ends in :latest, %s" $part $latest) }}
{{- end }}
{{- end }}
{{- if and $v.ingress.enabled (not $v.components.gateway.enabled) }}
{{- fail "ingress leads to the gateway, which is disabled" }}
{{- end }}
{{- end -}}


{{- /* What a datastore URL's query string may say: what every driver of the services
reads the same way, through servicekit.db.engines (docs/kubernetes.md, "On Kubernetes": external
databases). */ -}}
{{- define "pyservices.validateQuery" -}}
{{- $query := (urlParse .url).query -}}
{{- if $query }}
{{- if eq .server "postgres" }}
{{- range $pair := splitList "&" $query }}
{{- $option := splitList "=" $pair }}
{{- if ne (first $option) "sslmode" }}
{{- fail (printf "postgres.external.url: ?%s is not supported: of libpq's options only sslmode reaches both drivers (psycopg takes it as is, servicekit hands it to asyncpg as ssl=); asyncpg refuses the others" (first $option)) }}
{{- end }}
{{- if not (has (last $option) (list "disable" "allow" "prefer" "require" "verify-ca" "verify-full")) }}
{{- fail (printf "postgres.external.url: sslmode=%s is none of disable, allow, prefer, require, verify-ca, verify-full" (last $option)) }}
{{- end }}
{{- end }}
{{- else if eq .server "mysql" }}
{{- range $pair := splitList "&" $query }}
{{- if ne (first (splitList "=" $pair)) "charset" }}
{{- fail (printf "mysql.external.url: ?%s is not supported: PyMySQL and asyncmy take TLS and other options differently (ssl_* keys against an SSL context), so the services would not connect the same way in both modes; only charset is" (first (splitList "=" $pair))) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
