{{/*
Deployment of one of the HTTP services (backend, chatbot, frontend): same shape, different port, replicas and
secrets. Call with (dict "root" $ "component" "backend" "values" .Values.backend "secretEnv" (list ...)),
where each secretEnv item is (dict "name" ENV "key" SECRET_KEY "optional" bool); "needsDatabase" true adds an
init container that waits for the in-chart PostgreSQL, "needsBackend" true one that waits for the backend.
*/}}
{{- define "todo-chatbot.appDeployment" -}}
{{- $root := .root -}}
{{- $values := .values -}}
{{- $ctx := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "todo-chatbot.componentName" $ctx }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
  annotations:
    {{- include "todo-chatbot.checkovSkips" (dict "secretEnv" (not (empty .secretEnv))) | nindent 4 }}
spec:
  {{- /* With an HPA, set the count only on install: upgrades must not reset what the HPA scaled to. */}}
  {{- if or (not (dig "autoscaling" "enabled" false $values)) $root.Release.IsInstall }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # Start the new pods before stopping an old one: capacity never drops during a rollout.
      maxSurge: {{ $root.Values.rollout.maxSurge }}
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "todo-chatbot.labels" $ctx | nindent 8 }}
      annotations:
        {{- include "todo-chatbot.configChecksums" $root | nindent 8 }}
    spec:
      serviceAccountName: {{ include "todo-chatbot.serviceAccountName" $root }}
      automountServiceAccountToken: false
      # The services find each other through the ConfigMap's URLs, not the legacy *_SERVICE_HOST variables.
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      securityContext:
        {{- include "todo-chatbot.podSecurityContext" $root | nindent 8 }}
      {{- $image := include "todo-chatbot.image" (dict "image" $values.image "key" (printf "%s.image.tag" .component)) }}
      {{- $waitForDatabase := and .needsDatabase $root.Values.postgres.enabled }}
      {{- if or $waitForDatabase .needsBackend }}
      initContainers:
        {{- if $waitForDatabase }}
        # Start only once PostgreSQL accepts connections through its Service (it has an endpoint only once
        # PostgreSQL is ready, its roles set up): the service migrates its schema at start and would
        # crash-loop before that.
        - name: wait-for-database
          image: {{ $image | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            - python3
            - -c
            - {{ include "todo-chatbot.waitForPostgresScript" . | quote }}
            - {{ include "todo-chatbot.componentName" (dict "root" $root "component" "postgres") | quote }}
            - "5432"
          {{- include "todo-chatbot.initContainerBasics" $root | nindent 10 }}
        {{- end }}
        {{- if .needsBackend }}
        # Start only once the backend answers through its Service. A connection opened before kube-proxy
        # has programmed a new Service's address can leave the cluster and stay pinned there (keep-alive).
        - name: wait-for-backend
          image: {{ $image | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command:
            - python3
            - -c
            - {{ include "todo-chatbot.waitForHttpScript" . | quote }}
            - {{ printf "%s/api/health" (include "todo-chatbot.backendUrl" $root) | quote }}
            - backend
          {{- include "todo-chatbot.initContainerBasics" $root | nindent 10 }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ $image | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $values.service.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "todo-chatbot.fullname" $root }}
          {{- if or .secretEnv $values.database $values.workers .tlsSecret }}
          env:
            {{- if .tlsSecret }}
            # uvicorn terminates TLS itself (its options from the environment: the image's command stays)
            - name: UVICORN_SSL_CERTFILE
              value: /etc/todo-chatbot/tls/tls.crt
            - name: UVICORN_SSL_KEYFILE
              value: /etc/todo-chatbot/tls/tls.key
            {{- end }}
            {{- with $values.workers }}
            # uvicorn's worker count; each worker has its own database pool (see the connection budget).
            - name: WEB_CONCURRENCY
              value: {{ . | quote }}
            {{- end }}
            {{- with $values.database }}
            - name: DB_POOL_SIZE
              value: {{ .poolSize | quote }}
            {{- end }}
            {{- range .secretEnv }}
            - name: {{ .name }}
              valueFrom:
                secretKeyRef:
                  name: {{ include "todo-chatbot.fullname" $root }}
                  key: {{ .key }}
                  {{- if .optional }}
                  optional: true
                  {{- end }}
            {{- end }}
          {{- end }}
          {{- include "todo-chatbot.httpProbes" (dict "scheme" (ternary "HTTPS" "HTTP" (not (empty .tlsSecret)))) | nindent 10 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- include "todo-chatbot.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if .tlsSecret }}
            - name: tls
              mountPath: /etc/todo-chatbot/tls
              readOnly: true
            {{- end }}
      volumes:
        # Writable scratch space: the root filesystem is read-only.
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with .tlsSecret }}
        - name: tls
          secret:
            secretName: {{ . }}
            # readable by the pod's group (fsGroup 1001), not by others
            defaultMode: 0440
        {{- end }}
{{- end }}

{{/*
Service in front of one HTTP component. NodePort when the values ask for one (frontend, backend).
*/}}
{{- define "todo-chatbot.appService" -}}
{{- $ctx := dict "root" .root "component" .component -}}
{{- $service := .values.service -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "todo-chatbot.componentName" $ctx }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
spec:
  type: {{ $service.type | default "ClusterIP" }}
  {{- if and (has ($service.type | default "ClusterIP") (list "NodePort" "LoadBalancer")) $service.externalTrafficPolicy }}
  {{- /* Local keeps the client's address (per-address limits, the lockout: docs/security.md); Cluster masquerades it. */}}
  externalTrafficPolicy: {{ $service.externalTrafficPolicy }}
  {{- end }}
  selector:
    {{- include "todo-chatbot.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ $service.port }}
      targetPort: http
      protocol: TCP
      {{- if and (eq ($service.type | default "ClusterIP") "NodePort") $service.nodePort }}
      nodePort: {{ $service.nodePort }}
      {{- end }}
{{- end }}

{{/*
PodDisruptionBudget for one component: voluntary disruptions (drains) keep minAvailable pods serving.
*/}}
{{- define "todo-chatbot.appPdb" -}}
{{- $ctx := dict "root" .root "component" .component -}}
{{- if .values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "todo-chatbot.componentName" $ctx }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "todo-chatbot.labels" $ctx | nindent 4 }}
spec:
  minAvailable: {{ .values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "todo-chatbot.selectorLabels" $ctx | nindent 6 }}
{{- end }}
{{- end }}

{{/*
python3 script for an init container: wait until PostgreSQL at host (argv 1), port (argv 2) answers, saying what
it waits for and what it saw (the images have no shell, nc or sleep). A TCP connect alone is not enough: on the
local cluster a connection to a Service address kube-proxy has not programmed yet can leave the node and be
accepted by something else, so it sends PostgreSQL's SSLRequest, which a PostgreSQL server answers "S" or "N".
*/}}
{{- define "todo-chatbot.waitForPostgresScript" -}}
import socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
started, last = time.monotonic(), ""
while True:
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.settimeout(1)
            conn.sendall(struct.pack("!ii", 8, 80877103))
            answer = conn.recv(1)
        if answer in (b"S", b"N"):
            break
        seen = f"not PostgreSQL (it answered {answer!r})"
    except OSError as error:
        seen = f"{error}"
    if seen != last:  # a line per change, not per attempt: it polls 4 times a second
        print(f"waiting for PostgreSQL at {host}:{port} ({time.monotonic() - started:.1f}s): {seen}", flush=True)
        last = seen
    time.sleep(0.25)
print(f"PostgreSQL at {host}:{port} answers after {time.monotonic() - started:.1f}s")
{{- end }}

{{/*
python3 script for an init container: wait until URL (argv 1) answers 200 with JSON naming the service
(argv 2), saying what it waits for and what it saw.
*/}}
{{- define "todo-chatbot.waitForHttpScript" -}}
import json, sys, time, urllib.request
url, service = sys.argv[1], sys.argv[2]
started, last = time.monotonic(), ""
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            seen = f"HTTP {response.status}"
            if json.load(response).get("service") == service:
                break
    except (OSError, ValueError) as error:
        seen = repr(error)
    if seen != last:  # a line per change, not per attempt: it polls 4 times a second
        print(f"waiting for {service} at {url} ({time.monotonic() - started:.1f}s): {seen}", flush=True)
        last = seen
    time.sleep(0.25)
print(f"{service} answers at {url} after {time.monotonic() - started:.1f}s")
{{- end }}

{{/*
Resources and security context of the small wait-for-* init containers.
*/}}
{{- define "todo-chatbot.initContainerBasics" -}}
resources:
  requests: {cpu: 10m, memory: 32Mi}
  limits: {cpu: 100m, memory: 64Mi}
securityContext:
  {{- include "todo-chatbot.containerSecurityContext" . | nindent 2 }}
{{- end }}
