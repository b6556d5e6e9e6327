{{/*
Chart name, truncated to the 63 characters Kubernetes allows in a DNS label.
*/}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or just the release name when it already contains the chart name.
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version.
*/}}
{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels. Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" .root }}
{{ include "todo-chatbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: todo-chatbot
{{- end }}

{{/*
Selector labels (immutable on Deployments: never add to them). Call with (dict "root" $ "component" "backend").
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/*
Name of one component's objects: <fullname>-<component>.
*/}}
{{- define "todo-chatbot.componentName" -}}
{{- printf "%s-%s" (include "todo-chatbot.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "todo-chatbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-chatbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference repository:tag. The tag is required (content hashes; there is no usable default) and never
"latest". Call with (dict "image" .Values.backend.image "key" "backend.image.tag").
*/}}
{{- define "todo-chatbot.image" -}}
{{- $tag := required (printf "%s is required: pass --set %s=<content-hash tag> (the harness sets it after building the images)" .key .key) .image.tag -}}
{{- if eq (lower (toString $tag)) "latest" }}
{{- fail (printf "%s must not be \"latest\": use the image's content-hash tag" .key) }}
{{- end }}
{{- printf "%s:%s" .image.repository (toString $tag) }}
{{- end }}

{{/*
Pod-level security context: Pod Security "restricted" (non-root uid 1001, RuntimeDefault seccomp).
*/}}
{{- define "todo-chatbot.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1001
runAsGroup: 1001
fsGroup: 1001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Container-level security context: Pod Security "restricted" plus a read-only root filesystem.
*/}}
{{- define "todo-chatbot.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1001
runAsGroup: 1001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Service URLs inside the cluster.
*/}}
{{- define "todo-chatbot.backendUrl" -}}
{{- printf "http://%s:%v" (include "todo-chatbot.componentName" (dict "root" . "component" "backend")) .Values.backend.service.port }}
{{- end }}

{{- define "todo-chatbot.chatbotUrl" -}}
{{- printf "http://%s:%v" (include "todo-chatbot.componentName" (dict "root" . "component" "chatbot")) .Values.chatbot.service.port }}
{{- end }}

{{/*
LLM_BASE_URL: explicit value, else the in-chart runtime when enabled, else empty.
*/}}
{{- define "todo-chatbot.llmBaseUrl" -}}
{{- if .Values.chatbot.llm.baseUrl }}
{{- .Values.chatbot.llm.baseUrl }}
{{- else if .Values.llmRuntime.enabled }}
{{- printf "http://%s:%v/v1" (include "todo-chatbot.componentName" (dict "root" . "component" "llm-runtime")) .Values.llmRuntime.port }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.llmModel" -}}
{{- if .Values.chatbot.llm.model }}
{{- .Values.chatbot.llm.model }}
{{- else if .Values.llmRuntime.enabled }}
{{- .Values.llmRuntime.modelPath }}
{{- end }}
{{- end }}

{{/*
True ("true") when the chatbot calls an LLM hosted by OpenRouter, which needs secrets.openrouterApiKey.
*/}}
{{- define "todo-chatbot.usesOpenRouter" -}}
{{- if and (has .Values.chatbot.nlu.provider (list "llm" "hybrid")) (contains "openrouter.ai" (include "todo-chatbot.llmBaseUrl" .)) }}true{{ end }}
{{- end }}

{{/*
True when the chatbot calls an LLM outside the chart (egress needed).
*/}}
{{- define "todo-chatbot.usesExternalLlm" -}}
{{- if and (has .Values.chatbot.nlu.provider (list "llm" "hybrid")) .Values.chatbot.llm.baseUrl }}true{{ end }}
{{- end }}

{{/*
Password of an application role of the in-chart PostgreSQL (todo_backend, todo_chatbot): derived from the
superuser password, so no extra value is needed and the superuser's password cannot be recovered from it.
Call with (dict "root" $ "role" "todo_backend").
*/}}
{{- define "todo-chatbot.rolePassword" -}}
{{- $password := required "secrets.postgresPassword is required when postgres.enabled=true: pass --set secrets.postgresPassword=<password> or set it in a values file kept out of git" .root.Values.secrets.postgresPassword }}
{{- printf "%s:%s" $password .role | sha256sum }}
{{- end }}

{{/*
DATABASE_URL of one service: with the in-chart PostgreSQL, its own role on the application database; else the
required external URL (the chatbot's own one when given). Call with (dict "root" $ "service" "backend").
*/}}
{{- define "todo-chatbot.databaseUrl" -}}
{{- $root := .root }}
{{- if $root.Values.postgres.enabled }}
{{- $role := printf "todo_%s" .service }}
{{- $host := include "todo-chatbot.componentName" (dict "root" $root "component" "postgres") }}
{{- printf "postgresql+asyncpg://%s:%s@%s:5432/%s" $role (include "todo-chatbot.rolePassword" (dict "root" $root "role" $role)) $host $root.Values.postgres.database }} {{- /* # pragma: allowlist secret -- a format, not a credential */}}
{{- else if and (eq .service "chatbot") $root.Values.secrets.chatbotDatabaseUrl }}
{{- $root.Values.secrets.chatbotDatabaseUrl }}
{{- else }}
{{- required "secrets.databaseUrl is required when postgres.enabled=false: pass --set secrets.databaseUrl=postgresql+asyncpg://user:password@host:5432/db or set it in a values file kept out of git" $root.Values.secrets.databaseUrl }} {{- /* # pragma: allowlist secret -- an example, not a credential */}}
{{- end }}
{{- end }}

{{/*
The database connection budget as JSON: how many connections each service's pools can open at most (its most
pods, the rollout's new pods (rollout.maxSurge) included, x workers x pool size) and the max_connections PostgreSQL needs for
them. An explicit postgres.maxConnections below that fails the render.
*/}}
{{- define "todo-chatbot.connectionBudget" -}}
{{- $v := .Values }}
{{- $backendPods := add (max (int $v.backend.replicaCount) (int $v.backend.autoscaling.maxReplicas)) (int $v.rollout.maxSurge) }}
{{- $backend := mul $backendPods (int $v.backend.workers) (int $v.backend.database.poolSize) }}
{{- $chatbotPods := add (int $v.chatbot.replicaCount) (int $v.rollout.maxSurge) }}
{{- $chatbot := mul $chatbotPods (int $v.chatbot.database.poolSize) }}
{{- $reserved := int $v.postgres.superuserReservedConnections }}
{{- $needed := add $backend $chatbot $reserved (int $v.postgres.adminConnections) }}
{{- $max := int $v.postgres.maxConnections | default $needed }}
{{- if lt (int $max) (int $needed) }}
{{- fail (printf "postgres.maxConnections=%d is too small: the pools can open %d connections (backend %d pods x %d workers x %d + chatbot %d pods x %d) and PostgreSQL keeps %d for the superuser and %d for admin work, %d in all: raise postgres.maxConnections to %d or more (0 derives it), or lower backend.autoscaling.maxReplicas or a database.poolSize" (int $max) (add $backend $chatbot) $backendPods (int $v.backend.workers) (int $v.backend.database.poolSize) $chatbotPods (int $v.chatbot.database.poolSize) $reserved (int $v.postgres.adminConnections) $needed $needed) }}
{{- end }}
{{- dict "backendPods" $backendPods "backend" $backend "chatbotPods" $chatbotPods "chatbot" $chatbot "reserved" $reserved "needed" $needed "maxConnections" $max | toJson }}
{{- end }}

{{/*
Probes and shutdown shared by the HTTP services. Call with (dict "scheme" "HTTP"|"HTTPS").
Liveness asks only "is the process serving" (/api/health); readiness asks "can it do its job" (/api/ready).
*/}}
{{- define "todo-chatbot.httpProbes" -}}
startupProbe:
  # Every second while starting: a pod is Ready up to a period after it can serve, so this is paid on every
  # install, rollout and scale-up (it stops once the container has started).
  httpGet: {path: /api/health, port: http, scheme: {{ .scheme }}}
  periodSeconds: 1
  timeoutSeconds: 2
  failureThreshold: 180
livenessProbe:
  httpGet: {path: /api/health, port: http, scheme: {{ .scheme }}}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  # The first readiness check comes up to one period after the startup probe passed, so every second: each
  # install, rollout, scale-up and recovery waits up to a period for it. Five app pods probed once a second
  # cost little (/api/ready is one query at most); removal still takes failureThreshold checks in a row.
  httpGet: {path: /api/ready, port: http, scheme: {{ .scheme }}}
  periodSeconds: 1
  timeoutSeconds: 3
  failureThreshold: 2
  successThreshold: 1
lifecycle:
  preStop:
    # Keep serving while endpoints and kube-proxy drop this pod, so no request hits a closed socket.
    # 10 s, not 5: on a busy 2-core node a scale-down once sent a new connection to a pod that had already
    # closed its socket 5 s in. Native sleep action: the images have no shell and no sleep binary.
    sleep:
      seconds: 10
{{- end }}

{{/*
Checksums of the ConfigMap and Secret as pod annotations, so `helm upgrade` with new config rolls the pods.
*/}}
{{- define "todo-chatbot.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}

{{/*
NetworkPolicy egress rule to the database: the in-chart PostgreSQL pod, else the external database's CIDR/port.
Call with (dict "root" $ "pg" (dict "root" $ "component" "postgres")).
*/}}
{{- define "todo-chatbot.databaseEgress" -}}
{{- if .root.Values.postgres.enabled -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "todo-chatbot.selectorLabels" .pg | nindent 10 }}
  ports:
    - {port: 5432, protocol: TCP}
{{- else -}}
- to:
    - ipBlock:
        cidr: {{ .root.Values.networkPolicy.externalDatabase.cidr }}
  ports:
    - {port: {{ .root.Values.networkPolicy.externalDatabase.port }}, protocol: TCP}
{{- end }}
{{- end }}

{{/*
NetworkPolicy egress rule for DNS.
*/}}
{{- define "todo-chatbot.dnsEgress" -}}
# DNS to any resolver (CoreDNS may run as a pod or on the host, depending on the cluster).
- ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end }}

{{/*
checkov skips, each with its reason (listed in docs/chart.md). Call with (dict "secretEnv" true) for pods that
read secrets from environment variables and (dict "testPod" true) for the `helm test` pods.
*/}}
{{- define "todo-chatbot.checkovSkips" -}}
checkov.io/skip1: "CKV_K8S_43=Images are built and loaded on the node with content-hash tags; there is no registry to resolve a digest from"
checkov.io/skip2: "CKV_K8S_15=No registry to pull from: images are loaded into the node, so pull policy is IfNotPresent"
checkov.io/skip3: "CKV_K8S_40=The images run as uid 1001 (fixed in the image contract); non-root is enforced by runAsNonRoot"
{{- if .secretEnv }}
checkov.io/skip4: "CKV_K8S_35=The services read their secrets from environment variables (twelve-factor contract of the images)"
{{- end }}
{{- if .testPod }}
checkov.io/skip5: "CKV_K8S_8=A helm test pod runs one check for seconds and exits; a liveness probe cannot change its outcome"
checkov.io/skip6: "CKV_K8S_9=A helm test pod receives no traffic; a readiness probe has nothing to gate"
{{- end }}
{{- end }}
