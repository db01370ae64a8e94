{{/* Names, labels and the few derived facts every template shares. */}}

{{- define "pyservices.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one part's objects: pyservices-users, pyservices-postgres, ... */}}
{{- define "pyservices.name" -}}
{{- printf "%s-%s" (include "pyservices.fullname" .ctx) .part -}}
{{- end -}}

{{- define "pyservices.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .part }}
{{- end -}}

{{- define "pyservices.labels" -}}
{{ include "pyservices.selectorLabels" . }}
app.kubernetes.io/part-of: pyservices
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end -}}

{{/* A pod template's labels: no chart or app version, which would change every pod
template (and so restart every pod) on a chart release that changes nothing else. */}}
{{- define "pyservices.podLabels" -}}
{{ include "pyservices.selectorLabels" . }}
app.kubernetes.io/part-of: pyservices
{{- end -}}

{{/* image.overrides.<image> when given (skaffold passes each image it built there),
else <registry>pyservices/<image>:<tag>. */}}
{{- define "pyservices.image" -}}
{{- $override := index .ctx.Values.image.overrides .image | default "" -}}
{{- $override | default (printf "%spyservices/%s:%s" .ctx.Values.image.registry .image (.ctx.Values.image.tag | default .ctx.Chart.AppVersion)) -}}
{{- end -}}

{{/* The server a service's database is on: postgres or mysql. */}}
{{- define "pyservices.databaseOf" -}}
{{- $component := index .ctx.Values.components .service -}}
{{- .ctx.Values.allServicesOn | default $component.database -}}
{{- end -}}

{{- define "pyservices.scheme" -}}
{{- if eq . "postgres" }}postgresql{{ else }}mysql{{ end -}}
{{- end -}}

{{- define "pyservices.serverPort" -}}
{{- if eq . "postgres" }}5432{{ else if eq . "mysql" }}3306{{ else }}6379{{ end -}}
{{- end -}}

{{/* host:port of a datastore: the in-chart Service, or the host of `external.url`. */}}
{{- define "pyservices.serverAddress" -}}
{{- $server := index .ctx.Values .server -}}
{{- if $server.enabled -}}
{{- printf "%s:%s" (include "pyservices.name" (dict "ctx" .ctx "part" .server)) (include "pyservices.serverPort" .server) -}}
{{- else -}}
{{- (urlParse $server.external.url).host -}}
{{- end -}}
{{- end -}}

{{/* The port a component reaches a datastore on: the in-chart server's, the one in
`external.url`, `external.port` (with an existingSecret), else the server's default. */}}
{{- define "pyservices.serverReachPort" -}}
{{- $server := index .ctx.Values .server -}}
{{- $port := "" -}}
{{- if and (not $server.enabled) $server.external.url -}}
{{- $port = regexFind ":[0-9]+$" (urlParse $server.external.url).host | trimPrefix ":" -}}
{{- else if not $server.enabled -}}
{{- $port = $server.external.port | default "" | toString -}}
{{- end -}}
{{- $port | default (include "pyservices.serverPort" .server) -}}
{{- end -}}

{{/* `?query` of an external admin URL (sslmode=...), carried into the URLs built from
it; empty for in-chart servers. */}}
{{- define "pyservices.serverQuery" -}}
{{- $server := index .ctx.Values .server -}}
{{- if and (not $server.enabled) $server.external.url -}}
{{- with (urlParse $server.external.url).query }}?{{ . }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* Whether the chart knows an admin URL of the server (in-chart, or external.url). */}}
{{- define "pyservices.managedServer" -}}
{{- $server := index .ctx.Values .server -}}
{{- if or $server.enabled $server.external.url }}true{{ end -}}
{{- end -}}

{{- define "pyservices.secrets.datastores" -}}{{ include "pyservices.name" (dict "ctx" . "part" "datastores") }}{{- end -}}
{{- define "pyservices.secrets.connections" -}}{{ include "pyservices.name" (dict "ctx" . "part" "connections") }}{{- end -}}
{{- define "pyservices.secrets.tokens" -}}
{{- .Values.tokens.existingSecret | default (include "pyservices.name" (dict "ctx" . "part" "tokens")) -}}
{{- end -}}

{{/* A value kept across upgrades: the one in the release's Secret, else a new one. */}}
{{- define "pyservices.kept" -}}
{{- $secret := lookup "v1" "Secret" .ctx.Release.Namespace .secret -}}
{{- if and $secret $secret.data (hasKey $secret.data .key) -}}
{{- index $secret.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 24 -}}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security profile, for a pod and for its containers. */}}
{{- define "pyservices.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "pyservices.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The OTLP endpoint the services export spans to, when tracing is on. */}}
{{- define "pyservices.otlpEndpoint" -}}
{{- printf "http://%s:4318" (include "pyservices.name" (dict "ctx" . "part" "jaeger")) -}}
{{- end -}}

{{/* The port a component serves /metrics on: a service's own, the worker's and Locust's
metricsPort; none (empty) for the gateway and beat. */}}
{{- define "pyservices.metricsPort" -}}
{{- if .metricsPort }}{{ .metricsPort }}{{ else if .database }}{{ .port }}{{ end -}}
{{- end -}}

{{/* The passwords the chart knows, by their key in a Secret. */}}
{{- define "pyservices.passwordKeys" -}}
{{- toJson (list "postgres-password" "mysql-root-password" "redis-password" "users-db-password" "items-db-password" "tasks-db-password" "grafana-admin-password") -}}
{{- end -}}

{{/* The password of `key` as given in values ("" when not given), and the Secret of
yours it is to come from ("" when none): {"value": ..., "existingSecret": ...}. */}}
{{- define "pyservices.passwordValues" -}}
{{- $v := .ctx.Values -}}
{{- $servers := dict "postgres-password" "postgres" "mysql-root-password" "mysql" "redis-password" "redis" -}}
{{- $value := "" -}}
{{- $existing := "" -}}
{{- if hasKey $servers .key -}}
{{- $auth := (index $v (index $servers .key)).auth -}}
{{- $value = $auth.password -}}
{{- $existing = $auth.existingSecret -}}
{{- else if hasSuffix "-db-password" .key -}}
{{- $value = index $v.auth.databasePasswords (trimSuffix "-db-password" .key) -}}
{{- else -}}
{{- $value = $v.auth.grafanaAdminPassword -}}
{{- end -}}
{{- toJson (dict "value" ($value | default "") "existingSecret" ($existing | default $v.auth.existingSecret | default "")) -}}
{{- end -}}

{{/* The Secret a password is read from: yours (a datastore's auth.existingSecret, else
auth.existingSecret), or the chart's own when the password is given in values or made
by the chart. */}}
{{- define "pyservices.passwordSecret" -}}
{{- $given := include "pyservices.passwordValues" . | fromJson -}}
{{- if and $given.existingSecret (not $given.value) -}}
{{- $given.existingSecret -}}
{{- else -}}
{{- include "pyservices.secrets.datastores" .ctx -}}
{{- end -}}
{{- end -}}

{{/* The env entry of a password, named for the $(...) references of the URLs built
from it: SECRET_USERS_DB_PASSWORD, SECRET_POSTGRES_PASSWORD, ... */}}
{{- define "pyservices.passwordVariable" -}}
{{- printf "SECRET_%s" (.key | upper | replace "-" "_") -}}
{{- end -}}

{{- define "pyservices.passwordEnv" -}}
- name: {{ include "pyservices.passwordVariable" . }}
  valueFrom:
    secretKeyRef: {name: {{ include "pyservices.passwordSecret" . }}, key: {{ .key }}}
{{- end -}}

{{/*
A URL with a password, as env entries: the password from its Secret, then the URL
that the kubelet completes with it ($(VAR) expands variables defined before it). So a
URL never needs its password at render time: a Secret of yours works with `helm
template` alone (GitOps), and no URL is kept anywhere but in the pod.
*/}}

{{/* env entries of a service's database URL, named .name (DATABASE_URL, ITEMS_DATABASE_URL). */}}
{{- define "pyservices.databaseUrlEnv" -}}
{{- $server := include "pyservices.databaseOf" (dict "ctx" .ctx "service" .service) -}}
{{- $settings := index .ctx.Values $server -}}
{{- if include "pyservices.managedServer" (dict "ctx" .ctx "server" $server) -}}
{{- $key := printf "%s-db-password" .service -}}
{{- $database := printf "%s%s" .ctx.Values.databaseNamePrefix .service -}}
{{- $where := dict "ctx" .ctx "server" $server -}}
{{ include "pyservices.passwordEnv" (dict "ctx" .ctx "key" $key) }}
- name: {{ .name }}
  value: {{ printf "%s://%s:$(%s)@%s/%s%s" (include "pyservices.scheme" $server) $database (include "pyservices.passwordVariable" (dict "key" $key)) (include "pyservices.serverAddress" $where) $database (include "pyservices.serverQuery" $where) | quote }}
{{- else }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef: {name: {{ $settings.external.existingSecret }}, key: {{ .service }}-database-url}
{{- end -}}
{{- end -}}

{{/* env entries of DATABASE_ADMIN_URL: a user that makes roles and databases. */}}
{{- define "pyservices.adminUrlEnv" -}}
{{- $settings := index .ctx.Values .server -}}
{{- if $settings.enabled -}}
{{- $key := ternary "postgres-password" "mysql-root-password" (eq .server "postgres") -}}
{{ include "pyservices.passwordEnv" (dict "ctx" .ctx "key" $key) }}
- name: DATABASE_ADMIN_URL
  value: {{ printf "%s://%s:$(%s)@%s/" (include "pyservices.scheme" .server) (ternary "postgres" "root" (eq .server "postgres")) (include "pyservices.passwordVariable" (dict "key" $key)) (include "pyservices.serverAddress" .) | quote }}
{{- else }}
- name: DATABASE_ADMIN_URL
  valueFrom:
    secretKeyRef: {name: {{ include "pyservices.secrets.connections" .ctx }}, key: {{ .server }}-admin-url}
{{- end -}}
{{- end -}}

{{/* env entries of REDIS_URL. */}}
{{- define "pyservices.redisUrlEnv" -}}
{{- $redis := .Values.redis -}}
{{- if $redis.enabled -}}
{{ include "pyservices.passwordEnv" (dict "ctx" . "key" "redis-password") }}
- name: REDIS_URL
  value: {{ printf "redis://:$(%s)@%s/0" (include "pyservices.passwordVariable" (dict "key" "redis-password")) (include "pyservices.serverAddress" (dict "ctx" . "server" "redis")) | quote }}
{{- else if $redis.external.url }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ include "pyservices.secrets.connections" . }}, key: redis-url}
{{- else }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ $redis.external.existingSecret }}, key: url}
{{- end -}}
{{- end -}}
