#!/usr/bin/env bash
# services.sh: install, start and stop the real services the tests run against:
# a single-node Apache Kafka broker (KRaft) and a MinIO server, both on loopback.
#
#   services.sh setup   fetch and cache what is missing (Kafka jars, MinIO binary)
#   services.sh start   start both (idempotent) and wait until they answer
#   services.sh stop    stop both
#   services.sh env     print the variables the tests read
#
# Cache: $PATROL_CACHE (default ~/.cache/patrol). State: $PATROL_SERVICES_DIR
# (default /tmp/patrol-services). Ports: Kafka 127.0.0.1:19092 (plaintext),
# 19094 (SASL: PLAIN, SCRAM-SHA-256/512, user patrol), 19095 (SSL), controller
# 19093; MinIO 127.0.0.1:19000 (HTTP) and 19001 (HTTPS, a second server).
# TLS: a test CA generated here with openssl ($state/tls/ca.crt), a server
# certificate for 127.0.0.1/localhost signed by it, and an unrelated CA
# (other-ca.crt) for the wrong-CA tests.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PATROL_CACHE:-$HOME/.cache/patrol}
state=${PATROL_SERVICES_DIR:-/tmp/patrol-services}
kafka_version=3.9.1
minio_version=v0.0.0-20260212201848-7aac2a2c5b7c
kafka_libs=$cache/kafka-$kafka_version/libs
minio_bin=$cache/minio-$minio_version/minio
kafka_port=19092
minio_port=19000
minio_user=patrolminio
minio_pass=patrolminio-secret
kafka_sasl_port=19094
kafka_user=patrol
kafka_pass=patrol-kafka-secret
kafka_ssl_port=19095
minio_tls_port=19001
tls=$state/tls
keystore_pass=patrol-keystore-secret

log() { printf 'services: %s\n' "$*" >&2; }

setup() {
  if [ ! -f "$kafka_libs/kafka_2.13-$kafka_version.jar" ]; then
    log "fetching Kafka $kafka_version jars from Maven Central"
    mvn -q -f "$here/kafka-pom.xml" dependency:copy-dependencies -DoutputDirectory="$kafka_libs"
  fi
  if [ ! -x "$minio_bin" ]; then
    log "building MinIO $minio_version (about 8 minutes, once)"
    mkdir -p "$(dirname "$minio_bin")"
    GOBIN=$(dirname "$minio_bin") GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$minio_version"
  fi
}

gen_certs() {
  [ -f "$tls/server.p12" ] && [ -f "$tls/other-ca.crt" ] && return 0
  if ! command -v openssl >/dev/null; then
    log "installing openssl"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends openssl >/dev/null
  fi
  log "generating the test CA and server certificate"
  mkdir -p "$tls/minio"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=patrol test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=unrelated CA" \
    -keyout "$tls/other-ca.key" -out "$tls/other-ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 3650 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  openssl pkcs12 -export -in "$tls/server.crt" -inkey "$tls/server.key" -certfile "$tls/ca.crt" \
    -name kafka -out "$tls/server.p12" -password "pass:$keystore_pass"
  cp "$tls/server.crt" "$tls/minio/public.crt"
  cp "$tls/server.key" "$tls/minio/private.key"
}

wait_port() { # host port what seconds
  local i
  for i in $(seq 1 "$4"); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 1
  done
  log "$3 did not open $1:$2 within $4 s"; return 1
}

start_kafka() {
  if [ -f "$state/kafka.pid" ] && kill -0 "$(cat "$state/kafka.pid")" 2>/dev/null; then return 0; fi
  mkdir -p "$state/kafka-data"
  cat > "$state/kafka.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((kafka_port + 1))
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$((kafka_port + 1)),SASL_PLAINTEXT://127.0.0.1:$kafka_sasl_port,SSL://127.0.0.1:$kafka_ssl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port,SASL_PLAINTEXT://127.0.0.1:$kafka_sasl_port,SSL://127.0.0.1:$kafka_ssl_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/server.p12
ssl.keystore.password=$keystore_pass
ssl.key.password=$keystore_pass
ssl.client.auth=none
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$kafka_user="$kafka_pass";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$state/kafka-data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$state/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$state/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local cp="$kafka_libs/*" java_opts="-Xms256m -Xmx512m -Dlog4j.configuration=file:$state/log4j.properties"
  if [ ! -f "$state/kafka-data/meta.properties" ]; then
    # shellcheck disable=SC2086
    java $java_opts -cp "$cp" kafka.tools.StorageTool format -t patrol-test-cluster-0001 \
      -c "$state/kafka.properties" \
      --add-scram "SCRAM-SHA-256=[name=$kafka_user,password=$kafka_pass]" \
      --add-scram "SCRAM-SHA-512=[name=$kafka_user,password=$kafka_pass]" \
      >"$state/kafka-format.log" 2>&1 || { cat "$state/kafka-format.log" >&2; return 1; }
  fi
  # shellcheck disable=SC2086
  nohup java $java_opts -cp "$cp" kafka.Kafka "$state/kafka.properties" >"$state/kafka.out" 2>&1 &
  echo $! >"$state/kafka.pid"
  wait_port 127.0.0.1 $kafka_port kafka 90 || { tail -30 "$state/kafka.out" "$state/kafka.log" >&2 || true; return 1; }
}

start_minio() {
  if [ -f "$state/minio.pid" ] && kill -0 "$(cat "$state/minio.pid")" 2>/dev/null; then return 0; fi
  mkdir -p "$state/minio-data"
  MINIO_ROOT_USER=$minio_user MINIO_ROOT_PASSWORD=$minio_pass MINIO_BROWSER=off \
    nohup "$minio_bin" server --quiet --address "127.0.0.1:$minio_port" "$state/minio-data" \
    >"$state/minio.out" 2>&1 &
  echo $! >"$state/minio.pid"
  wait_port 127.0.0.1 $minio_port minio 60 || { tail -30 "$state/minio.out" >&2 || true; return 1; }
  local i
  for i in $(seq 1 30); do
    curl -fsS "http://127.0.0.1:$minio_port/minio/health/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "minio did not become ready"; return 1
}

start_minio_tls() {
  if [ -f "$state/minio-tls.pid" ] && kill -0 "$(cat "$state/minio-tls.pid")" 2>/dev/null; then return 0; fi
  mkdir -p "$state/minio-tls-data"
  MINIO_ROOT_USER=$minio_user MINIO_ROOT_PASSWORD=$minio_pass MINIO_BROWSER=off \
    nohup "$minio_bin" server --quiet --certs-dir "$tls/minio" --address "127.0.0.1:$minio_tls_port" "$state/minio-tls-data" \
    >"$state/minio-tls.out" 2>&1 &
  echo $! >"$state/minio-tls.pid"
  wait_port 127.0.0.1 $minio_tls_port minio-tls 60 || { tail -30 "$state/minio-tls.out" >&2 || true; return 1; }
  local i
  for i in $(seq 1 30); do
    curl -fsS --cacert "$tls/ca.crt" "https://127.0.0.1:$minio_tls_port/minio/health/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "minio (https) did not become ready"; return 1
}

stop_one() {
  local f="$state/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

env_out() {
  echo "PATROL_TEST_KAFKA=127.0.0.1:$kafka_port"
  echo "PATROL_TEST_KAFKA_SASL=$kafka_user:$kafka_pass@127.0.0.1:$kafka_sasl_port"
  echo "PATROL_TEST_S3=http://$minio_user:$minio_pass@127.0.0.1:$minio_port"
  echo "PATROL_TEST_KAFKA_TLS=127.0.0.1:$kafka_ssl_port"
  echo "PATROL_TEST_S3_TLS=https://$minio_user:$minio_pass@127.0.0.1:$minio_tls_port"
  echo "PATROL_TEST_CA=$tls/ca.crt"
  echo "PATROL_TEST_WRONG_CA=$tls/other-ca.crt"
  echo "PATROL_TEST_SERVICES=$0"
}

case "${1:-}" in
  setup) setup ;;
  start) setup; mkdir -p "$state"; gen_certs; start_minio; start_minio_tls; start_kafka
    log "kafka 127.0.0.1:$kafka_port (ssl $kafka_ssl_port) and minio 127.0.0.1:$minio_port (https $minio_tls_port) are up" ;;
  stop) stop_one kafka; stop_one minio; stop_one minio-tls ;;
  stop-kafka) stop_one kafka ;;
  start-kafka) mkdir -p "$state"; gen_certs; start_kafka ;;
  stop-minio) stop_one minio ;;
  start-minio) mkdir -p "$state"; start_minio ;;
  env) env_out ;;
  *) echo "usage: $0 setup|start|stop|env|start-kafka|stop-kafka|start-minio|stop-minio" >&2; exit 2 ;;
esac
