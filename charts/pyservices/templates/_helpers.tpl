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

{{/* secretKeyRef of a service's DATABASE_URL. */}}
{{- define "pyservices.databaseUrlRef" -}}
{{- $server := include "pyservices.databaseOf" (dict "ctx" .ctx "service" .service) -}}
{{- $settings := index .ctx.Values $server -}}
{{- if include "pyservices.managedServer" (dict "ctx" .ctx "server" $server) -}}
name: {{ include "pyservices.secrets.connections" .ctx }}
{{- else -}}
name: {{ $settings.external.existingSecret }}
{{- end }}
key: {{ .service }}-database-url
{{- end -}}

{{/* secretKeyRef of REDIS_URL. */}}
{{- define "pyservices.redisUrlRef" -}}
{{- if or .Values.redis.enabled .Values.redis.external.url -}}
name: {{ include "pyservices.secrets.connections" . }}
key: redis-url
{{- else -}}
name: {{ .Values.redis.external.existingSecret }}
key: url
{{- end -}}
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
