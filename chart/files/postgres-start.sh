# The in-chart PostgreSQL's command (dash builtins and PostgreSQL's own programs only: the image has no
# coreutils). Every start: initialise an empty volume, bring the application's roles, database and schemas to
# what the chart describes while no client can connect, then run the server with the chart's arguments.
set -eu
# The image's entrypoint (not on its PATH; the variable lets the chart's tests run this with a stand-in).
entrypoint="${PG_IMAGE_ENTRYPOINT:-/usr/local/bin/docker-entrypoint}"
# It initialises an empty volume; -C makes postgres print a setting and exit instead of serving.
"$entrypoint" -C server_version >/dev/null
echo "start.sh: setting up the roles, database $APP_DATABASE and schemas (no TCP listener yet)"
# No TCP listener while the setup runs, so the pod is not ready and nothing connects before the roles exist.
# log_min_error_statement=panic: a failed ALTER ROLE must not print its password into the log.
pg_ctl start -D "$PGDATA" -w -t 300 -s -o "$* -c listen_addresses='' -c log_min_error_statement=panic"
# Over the socket in $PGHOST (the superuser may log in no other way, see pg_hba.conf).
PGPASSWORD="$POSTGRES_PASSWORD" psql -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 \
  -v database="$APP_DATABASE" -f "${0%/*}/setup.sql"
pg_ctl stop -D "$PGDATA" -m fast -w -s
echo "start.sh: setup done; starting PostgreSQL"
exec "$entrypoint" "$@"
