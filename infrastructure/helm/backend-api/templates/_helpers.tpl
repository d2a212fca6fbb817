{{/* Names, labels and the derived settings every template shares. */}}

{{- define "backend-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release "backend-api" gives plain "backend-api", the name the seed's kubectl commands use. */}}
{{- define "backend-api.fullname" -}}
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

{{- define "backend-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "backend-api.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "backend-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "backend-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "backend-api.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "backend-api.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "backend-api.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "backend-api.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "backend-api.postgresql.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend-api.name" . }}-postgresql
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "backend-api.postgresql.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "backend-api.postgresql.selectorLabels" . }}
app.kubernetes.io/component: database
app.kubernetes.io/part-of: {{ include "backend-api.name" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Names of the variables the user sets in the raw `env` list, as a dict name -> entry.
The chart never emits a second entry for one of these: Kubernetes would keep the last one silently.
*/}}
{{- define "backend-api.userEnv" -}}
{{- $names := dict }}
{{- range .Values.env }}
{{- $_ := set $names .name . }}
{{- end }}
{{- toJson $names }}
{{- end }}

{{/*
Which database the release uses: "env" (DATABASE_URL in the raw env list), "url" (database.url),
"bundled" (postgresql.enabled), "external" (database.host) or "sqlite".
*/}}
{{- define "backend-api.databaseMode" -}}
{{- $userEnv := include "backend-api.userEnv" . | fromJson }}
{{- if hasKey $userEnv "DATABASE_URL" }}env
{{- else if or .Values.database.url.existingSecret .Values.database.url.value }}url
{{- else if .Values.postgresql.enabled }}bundled
{{- else if .Values.database.host }}external
{{- else }}sqlite
{{- end }}
{{- end }}

{{/* The chart's own Secret holds inline values (`value:` fields); true when it has any. */}}
{{- define "backend-api.hasInlineSecrets" -}}
{{- if or .Values.auth.betterAuth.secret.value .Values.openaiApiKey.value .Values.database.url.value .Values.database.password.value }}true{{- end }}
{{- end }}

{{/*
An env entry for a secret-valued setting. Args: dict "root" $ "env" NAME "spec" {existingSecret,existingSecretKey,value}
"chartSecret" the name of the Secret holding inline values. Renders nothing when the setting is unset.
*/}}
{{- define "backend-api.secretEnv" -}}
{{- if .spec.existingSecret }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .spec.existingSecret }}
      key: {{ .spec.existingSecretKey }}
{{- else if .spec.value }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "backend-api.fullname" .root }}
      key: {{ .env }}
{{- end }}
{{- end }}

{{/*
TCP port of a URL: the explicit one, else 80 for http and 443 for https.
An http URL without a port means 80: the back-channel port seed 002's NetworkPolicy dropped.
*/}}
{{- define "backend-api.urlPort" -}}
{{- $u := urlParse . }}
{{- if regexMatch ":[0-9]+$" $u.host }}{{ regexFind "[0-9]+$" $u.host }}
{{- else if eq $u.scheme "https" }}443
{{- else if eq $u.scheme "http" }}80
{{- else if hasPrefix "postgres" $u.scheme }}5432
{{- else }}{{ fail (printf "backend-api: cannot tell the port of %q (expected http://, https:// or postgres:// with a host)" .) }}
{{- end }}
{{- end }}

{{/*
A literal value from the raw env list, else the structured one (also when the raw entry reads a
Secret the chart cannot see: set the structured value to the same URL so the egress port is known).
*/}}
{{- define "backend-api.effectiveValue" -}}
{{- $entry := get .userEnv .env | default dict }}
{{- $entry.value | default .fallback }}
{{- end }}

{{/*
Egress the service needs besides DNS, as JSON {"rules":[{"port","why","to"?}]}: one rule per
identity-provider endpoint it fetches and one for the database.
*/}}
{{- define "backend-api.egressRules" -}}
{{- $v := .Values }}
{{- $userEnv := include "backend-api.userEnv" . | fromJson }}
{{- $urls := list }}
{{- $baUrl := include "backend-api.effectiveValue" (dict "userEnv" $userEnv "env" "BETTER_AUTH_URL" "fallback" $v.auth.betterAuth.url) }}
{{- $baJwks := include "backend-api.effectiveValue" (dict "userEnv" $userEnv "env" "BETTER_AUTH_JWKS_URL" "fallback" $v.auth.betterAuth.jwksUrl) }}
{{- if $baJwks }}
{{- $urls = append $urls (list $baJwks "Better Auth JWKS") }}
{{- else if $baUrl }}
{{- $urls = append $urls (list $baUrl "Better Auth") }}
{{- end }}
{{- range $v.auth.providers }}
{{- if .internalUrl }}{{ $urls = append $urls (list .internalUrl (printf "provider %s back channel" .name)) }}{{ end }}
{{- if .jwksUrl }}{{ $urls = append $urls (list .jwksUrl (printf "provider %s JWKS" .name)) }}{{ end }}
{{- if and .discovery (not .internalUrl) }}{{ $urls = append $urls (list .issuer (printf "provider %s discovery" .name)) }}{{ end }}
{{- end }}
{{- $rules := list }}
{{- range $urls }}
{{- $rules = append $rules (dict "port" (include "backend-api.urlPort" (index . 0) | atoi) "why" (printf "%s (%s)" (index . 1) (index . 0))) }}
{{- end }}
{{- $mode := include "backend-api.databaseMode" . }}
{{- $envDb := get $userEnv "DATABASE_URL" }}
{{- if eq $mode "bundled" }}
{{- $rules = append $rules (dict "port" 5432 "why" "bundled PostgreSQL" "to" (list (dict "podSelector" (dict "matchLabels" (include "backend-api.postgresql.selectorLabels" . | fromYaml))))) }}
{{- else if and (eq $mode "env") $envDb.value (hasPrefix "postgres" $envDb.value) }}
{{- $rules = append $rules (dict "port" (include "backend-api.urlPort" $envDb.value | atoi) "why" "database (DATABASE_URL in env)") }}
{{- else if and (eq $mode "url") $v.database.url.value }}
{{- $rules = append $rules (dict "port" (include "backend-api.urlPort" $v.database.url.value | atoi) "why" "database (database.url)") }}
{{- else if eq $mode "external" }}
{{- $rules = append $rules (dict "port" (int $v.database.port) "why" (printf "database %s" $v.database.host)) }}
{{- else if and (ne $mode "sqlite") (not (and $envDb $envDb.value (hasPrefix "sqlite" $envDb.value))) }}
{{- $rules = append $rules (dict "port" (int $v.database.port) "why" "database (URL in a Secret; port from database.port)") }}
{{- end }}
{{- /* One rule per distinct port and peer; the comment lists every endpoint that needs it. */}}
{{- $merged := dict }}
{{- $order := list }}
{{- range $rules }}
{{- $key := printf "%d/%s" (int .port) (toJson (.to | default list)) }}
{{- if hasKey $merged $key }}
{{- $prev := get $merged $key }}
{{- $_ := set $prev "why" (printf "%s; %s" $prev.why .why) }}
{{- else }}
{{- $_ := set $merged $key . }}
{{- $order = append $order $key }}
{{- end }}
{{- end }}
{{- $out := list }}
{{- range $order }}{{ $out = append $out (get $merged .) }}{{ end }}
{{- toJson (dict "rules" $out) }}
{{- end }}

{{/*
Where the PostgreSQL password lives, as JSON {"name","key"}: an existing Secret, the chart's Secret
(database.password.value), or the generated Secret of the bundled PostgreSQL.
*/}}
{{- define "backend-api.dbPasswordRef" -}}
{{- $p := .Values.database.password }}
{{- if $p.existingSecret }}{{ toJson (dict "name" $p.existingSecret "key" $p.existingSecretKey) }}
{{- else if $p.value }}{{ toJson (dict "name" (include "backend-api.fullname" .) "key" "DATABASE_PASSWORD") }}
{{- else if .Values.postgresql.enabled }}{{ toJson (dict "name" (include "backend-api.postgresql.fullname" .) "key" "password") }}
{{- else }}{{ fail "backend-api: database.host is set but no password: set database.password.existingSecret (recommended) or database.password.value" }}
{{- end }}
{{- end }}

{{/*
Names of every Secret the pods read that the chart does not render, for the external-secrets
checksum: on `helm upgrade` their current content is looked up, so a rotated secret rolls the pods.
*/}}
{{- define "backend-api.externalSecretNames" -}}
{{- $names := list }}
{{- range (list .Values.auth.betterAuth.secret .Values.openaiApiKey .Values.database.url .Values.database.password) }}
{{- if .existingSecret }}{{ $names = append $names .existingSecret }}{{ end }}
{{- end }}
{{- range .Values.env }}
{{- if and .valueFrom .valueFrom.secretKeyRef }}{{ $names = append $names .valueFrom.secretKeyRef.name }}{{ end }}
{{- end }}
{{- toJson (dict "names" ($names | uniq | sortAlpha)) }}
{{- end }}

{{/*
The plain settings of the ConfigMap, as JSON {VARIABLE: "value"}: one source for the ConfigMap's
data and for the Deployment's env entries that read it (configMapKeyRef, so `kubectl describe pod`
and `backend-api doctor manifests` see where each variable comes from).
*/}}
{{- define "backend-api.configEnv" -}}
{{- $ba := .Values.auth.betterAuth }}
{{- $env := dict "HOST" "0.0.0.0" "PORT" "8000" "ENVIRONMENT" .Values.environment
  "JWT_LEEWAY_SECONDS" (toString .Values.auth.leewaySeconds)
  "JWKS_REFRESH_COOLDOWN_SECONDS" (toString .Values.auth.jwksRefreshCooldownSeconds)
  "JWKS_STALE_MAX_SECONDS" (toString .Values.auth.jwksStaleMaxSeconds)
  "JWKS_INITIAL_WAIT_SECONDS" (toString .Values.auth.jwksInitialWaitSeconds)
  "LOG_FORMAT" .Values.logging.format "RUST_LOG" .Values.logging.level
  "SHUTDOWN_DELAY_SECONDS" (toString .Values.shutdown.delaySeconds)
  "SHUTDOWN_DRAIN_SECONDS" (toString .Values.shutdown.drainSeconds)
  "REQUEST_TIMEOUT_SECONDS" (toString .Values.requestTimeoutSeconds)
  "HEADER_READ_TIMEOUT_SECONDS" (toString .Values.connections.headerReadTimeoutSeconds)
  "KEEP_ALIVE_TIMEOUT_SECONDS" (toString .Values.connections.keepAliveTimeoutSeconds)
  "HTTP_MAX_CONNECTIONS" (toString .Values.connections.maxConnections) }}
{{- with .Values.corsAllowedOrigins }}{{ $_ := set $env "CORS_ALLOWED_ORIGINS" (join "," .) }}{{ end }}
{{- with .Values.mcp.resourceUrl }}{{ $_ := set $env "MCP_RESOURCE_URL" . }}{{ end }}
{{- with .Values.mcp.audience }}{{ $_ := set $env "MCP_AUDIENCE" . }}{{ end }}
{{- if ne (include "backend-api.databaseMode" .) "sqlite" }}{{ $_ := set $env "DATABASE_MAX_CONNECTIONS" (toString .Values.database.maxConnections) }}{{ end }}
{{- range $name, $value := dict "BETTER_AUTH_URL" $ba.url "BETTER_AUTH_JWKS_URL" $ba.jwksUrl "BETTER_AUTH_ISSUER" $ba.issuer "BETTER_AUTH_AUDIENCE" $ba.audience }}
{{- if $value }}{{ $_ := set $env $name $value }}{{ end }}
{{- end }}
{{- if $ba.acceptHs256 }}{{ $_ := set $env "BETTER_AUTH_ACCEPT_HS256" "true" }}{{ end }}
{{- if .Values.auth.providers }}{{ $_ := set $env "AUTH_PROVIDERS_FILE" "/etc/backend-api/providers.toml" }}{{ end }}
{{- $fa := .Values.forwardAuth }}
{{- if not $fa.enabled }}{{ $_ := set $env "FORWARD_AUTH" "false" }}{{ end }}
{{- with $fa.claimHeaders }}
{{- $pairs := list }}{{ range $claim, $header := . }}{{ $pairs = append $pairs (printf "%s=%s" $claim $header) }}{{ end }}
{{- $_ := set $env "FORWARD_AUTH_CLAIM_HEADERS" (join "," $pairs) }}
{{- end }}
{{- if include "backend-api.forwardAuthPolicy" . }}{{ $_ := set $env "FORWARD_AUTH_POLICY_FILE" "/etc/backend-api-forward-auth/policy.toml" }}{{ end }}
{{- if eq (include "backend-api.databaseMode" .) "sqlite" }}{{ $_ := set $env "DATABASE_URL" "sqlite:///data/backend-api.db" }}{{ end }}
{{- /* A variable of the raw env list replaces the chart's: keep it out, so the ConfigMap shows what the pod reads. */}}
{{- range $name, $_ := include "backend-api.userEnv" . | fromJson }}{{ $_ := unset $env $name }}{{ end }}
{{- toJson $env }}
{{- end }}

{{/*
"true" when some identity provider is configured: Better Auth (structured or in the raw env list),
auth.providers, or AUTH_PROVIDERS_FILE in the raw env list.
*/}}
{{- define "backend-api.hasIdentityProvider" -}}
{{- $userEnv := include "backend-api.userEnv" . | fromJson }}
{{- $ba := .Values.auth.betterAuth }}
{{- $url := include "backend-api.effectiveValue" (dict "userEnv" $userEnv "env" "BETTER_AUTH_URL" "fallback" $ba.url) }}
{{- $jwks := include "backend-api.effectiveValue" (dict "userEnv" $userEnv "env" "BETTER_AUTH_JWKS_URL" "fallback" $ba.jwksUrl) }}
{{- if or $url $jwks .Values.auth.providers (hasKey $userEnv "AUTH_PROVIDERS_FILE") (hasKey $userEnv "BETTER_AUTH_URL") }}true{{ end }}
{{- end }}

{{/*
"true" when forwardAuth.policy has a default or any host, i.e. a policy file is rendered.
*/}}
{{- define "backend-api.forwardAuthPolicy" -}}
{{- $p := .Values.forwardAuth.policy }}
{{- if and .Values.forwardAuth.enabled (or $p.default $p.hosts) }}true{{ end }}
{{- end }}

{{/*
In-cluster URL of /auth/verify, for the example Ingress and Middleware.
*/}}
{{- define "backend-api.verifyUrl" -}}
http://{{ include "backend-api.fullname" . }}.{{ .Release.Namespace }}.svc.cluster.local:{{ .Values.service.port }}/auth/verify
{{- end }}
