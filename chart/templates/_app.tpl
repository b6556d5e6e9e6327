{{/*
Deployment of one of the HTTP services (backend, chatbot, frontend): same shape, different port, replicas and
secrets. Call with (dict "root" $ "component" "backend" "values" .Values.backend "secretEnv" (list ...)),
where each secretEnv item is (dict "name" ENV "key" SECRET_KEY "optional" bool). There are no init containers:
the pods start beside PostgreSQL and the backend, and wait for what they need in-process (docs/chart.md).
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

