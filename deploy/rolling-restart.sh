#!/bin/sh
# Rolling restart of scale mode with no conversation dropped (README, "Scale mode"): one replica at a time.
#
#   deploy/rolling-restart.sh [apps|bots|all]        (default all; run as root on the proxy's machine)
#
# Apps: drained first — nginx marks the replica `down` (its app and action upstream lines, tagged `# app@PORT`
# and `# actions@PORT` in the site file), reloads, waits until its connections are gone (turns in flight finish),
# then the replica restarts, must answer /api/health, and is put back before the next one is touched.
# Bots: no drain is needed — an app sends a turn the bot refuses or cuts off to the sender's next replica, which
# reads the conversation from the tracker store (PostgreSQL); Rasa finishes its turns in flight on SIGTERM. The
# next bot restarts only once the last one serves its model again.
set -eu

SITE=${HOTLINE_NGINX_SITE:-/etc/nginx/conf.d/hotline.conf}
ENV_FILE=${HOTLINE_ENV_FILE:-/etc/hotline/hotline.env}
DRAIN_MAX=${HOTLINE_DRAIN_SECONDS:-60}   # longest a turn may take: queue wait + Rasa timeout, with room
WHAT=${1:-all}

# shellcheck disable=SC1090
. "$ENV_FILE"

wait_http() {  # url seconds
    i=0
    while [ "$i" -lt "$2" ]; do
        curl -fsS -o /dev/null --max-time 2 "$1" && return 0
        i=$((i + 1)); sleep 1
    done
    echo "not ready after $2 s: $1" >&2
    return 1
}

set_down() {  # app-port action-port on|off
    if [ "$3" = on ]; then
        sed -i -E "s/^( *server [^;]*:($1|$2) [^;#]*[^ ;#])( down)?;(.*# (app|actions)@($1|$2))$/\1 down;\4/" "$SITE"
    else
        sed -i -E "s/^( *server [^;]*:($1|$2) [^;#]*) down;(.*# (app|actions)@($1|$2))$/\1;\3/" "$SITE"
    fi
    nginx -t -q && systemctl reload nginx
}

connections() {  # port: established connections to it
    ss -Htn state established "( sport = :$1 )" | wc -l
}

restart_apps() {
    for port in $(sed -n -E 's/.*# app@([0-9]+)$/\1/p' "$SITE"); do
        action=$((port - 2950))
        echo "app@$port: draining"
        set_down "$port" "$action" on
        i=0
        while [ "$i" -lt "$DRAIN_MAX" ] && [ "$(connections "$port")" -gt 0 ]; do i=$((i + 1)); sleep 1; done
        systemctl restart "hotline-app@$port"
        wait_http "http://127.0.0.1:$port/api/health" 180
        set_down "$port" "$action" off
        echo "app@$port: back"
    done
}

restart_bots() {
    for url in $(echo "$HOTLINE_RASA_URLS" | tr ',' ' '); do
        port=${url##*:}
        echo "bot@$port: restarting"
        systemctl restart "hotline-bot@$port"
        wait_http "$url/status?token=$HOTLINE_RASA_TOKEN" 300
        echo "bot@$port: back"
    done
}

case "$WHAT" in
    apps) restart_apps ;;
    bots) restart_bots ;;
    all) restart_bots; restart_apps ;;
    *) echo "usage: $0 [apps|bots|all]" >&2; exit 2 ;;
esac
