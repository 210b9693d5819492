#!/bin/sh
# Starts RabbitMQ, then gives the users defined in definitions.json their passwords from the
# environment. The committed definitions carry no credentials (empty hashes: no password
# login), and every boot's import resets them, so this runs on every start. The healthcheck
# waits for the marker file, so services only connect once their user can log in.
# Runs as the rabbitmq user (compose `user:`), like the broker: rabbitmqctl then shares the
# broker's Erlang cookie instead of racing it to create one owned by root.
set -eu

: "${RABBITMQ_ADMIN_PASSWORD:?is required (see .env.example)}"
: "${CHAT_SERVICE_AMQP_PASSWORD:?is required (see .env.example)}"
: "${MESSAGE_SERVICE_AMQP_PASSWORD:?is required (see .env.example)}"

ready_marker="${RABBITMQ_READY_MARKER:-/tmp/chat-users-ready}"
rm -f "$ready_marker"

(
  # Until the node answers at all, rabbitmqctl fails at once rather than waiting.
  until rabbitmqctl --quiet await_startup >/dev/null 2>&1; do sleep 2; done
  rabbitmqctl --quiet change_password admin "$RABBITMQ_ADMIN_PASSWORD"
  rabbitmqctl --quiet change_password chat-service "$CHAT_SERVICE_AMQP_PASSWORD"
  rabbitmqctl --quiet change_password message-service "$MESSAGE_SERVICE_AMQP_PASSWORD"
  touch "$ready_marker"
) &

exec docker-entrypoint.sh rabbitmq-server
