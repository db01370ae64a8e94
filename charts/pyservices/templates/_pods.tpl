{{- /*
What every pod and ServiceAccount of the chart takes from `defaults` (values.yaml), and
from a component's own keys of the same names: maps merge (the component's keys win),
lists and affinity replace. Each helper takes (dict "ctx" $ "c" <the component, or
nothing for the datastores and observability>).
*/ -}}

{{/* One setting: the component's own when it has the key, else the default. */}}
{{- define "pyservices.pod.setting" -}}
{{- $c := .c | default dict -}}
{{- $value := ternary (index $c .key) (index .ctx.Values.defaults .key) (hasKey $c .key) -}}
{{- toJson (dict "value" $value) -}}
{{- end -}}

{{- define "pyservices.pod.merged" -}}
{{- $c := .c | default dict -}}
{{- $own := ternary (index $c .key) dict (hasKey $c .key) | default dict -}}
{{- toJson (merge (deepCopy $own) (deepCopy (index .ctx.Values.defaults .key | default dict))) -}}
{{- end -}}

{{/* Scheduling and pull secrets, inside a pod spec. `spread`: the pod's workload may
run more than one replica, so the topology spread constraints apply, each without a
labelSelector taking the pod's own selector labels (`selector`). */}}
{{- define "pyservices.pod.placement" -}}
{{- $selector := .selector -}}
{{- with include "pyservices.pod.merged" (dict "ctx" .ctx "c" .c "key" "nodeSelector") | fromJson }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (include "pyservices.pod.setting" (dict "ctx" .ctx "c" .c "key" "tolerations") | fromJson).value }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (include "pyservices.pod.setting" (dict "ctx" .ctx "c" .c "key" "affinity") | fromJson).value }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $spread := (include "pyservices.pod.setting" (dict "ctx" .ctx "c" .c "key" "topologySpreadConstraints") | fromJson).value }}
{{- if and .spread $spread }}
topologySpreadConstraints:
  {{- range $constraint := $spread }}
  {{- $constraint = deepCopy $constraint }}
  {{- if not (hasKey $constraint "labelSelector") }}
  {{- $_ := set $constraint "labelSelector" (dict "matchLabels" $selector) }}
  {{- end }}
  - {{ toYaml $constraint | nindent 4 | trim }}
  {{- end }}
{{- end }}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The user's pod labels, without the chart's own (`chartLabels`), which always win:
selectors and Services depend on them. */}}
{{- define "pyservices.pod.labels" -}}
{{- $labels := include "pyservices.pod.merged" (dict "ctx" .ctx "c" .c "key" "podLabels") | fromJson -}}
{{- range $key, $value := .chartLabels }}{{ $_ := unset $labels $key }}{{ end -}}
{{- with $labels }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/* A pod template's labels: the chart's own, without versions (pyservices.podLabels:
a chart release that changes nothing else restarts no pod), then the user's podLabels,
which never replace them. Takes (dict "ctx" $ "part" <part> "c" <component or nothing>). */}}
{{- define "pyservices.pod.templateLabels" -}}
{{- $chart := include "pyservices.podLabels" (dict "ctx" .ctx "part" .part) -}}
{{- $chart }}
{{- with include "pyservices.pod.labels" (dict "ctx" .ctx "c" .c "chartLabels" ($chart | fromYaml)) }}
{{ . }}
{{- end -}}
{{- end -}}

{{- define "pyservices.pod.annotations" -}}
{{- with include "pyservices.pod.merged" (dict "ctx" .ctx "c" .c "key" "podAnnotations") | fromJson }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/* A ServiceAccount's annotations: workload identity (GKE, EKS, AKS) and the like. */}}
{{- define "pyservices.serviceAccountAnnotations" -}}
{{- with include "pyservices.pod.merged" (dict "ctx" .ctx "c" .c "key" "serviceAccountAnnotations") | fromJson }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/* The pull policy of a container of one of the chart's own images. */}}
{{- define "pyservices.pod.pullPolicy" -}}
{{- (.c | default dict).imagePullPolicy | default .ctx.Values.image.pullPolicy -}}
{{- end -}}
