#!/usr/bin/env bash
# cluster.sh: a three-node Apache Kafka cluster (KRaft) on loopback for the
# replication tests (publisher/broker/cluster_test.go). Each node is a
# combined broker and controller (node ids 1-3, a three-voter controller
# quorum), configured like production for what the tests check: replication
# factor 3, min.insync.replicas 2, no unclean leader election, no topic
# auto-creation (as deploy/compose.yaml).
#
#   cluster.sh start       start the three nodes (idempotent) and wait until
#                          each answers and the cluster has three brokers
#   cluster.sh stop        stop them (the data stays for the next start)
#   cluster.sh kill N      SIGKILL node N (1-3), as a crash would
#   cluster.sh restart N   start node N again on its log dir and wait until
#                          the cluster has three brokers again
#   cluster.sh status      print each node's state
#   cluster.sh env         print the variables the tests read
#
# Jars: the ones services.sh setup caches ($PATROL_CACHE, default
# ~/.cache/patrol). State: $PATROL_CLUSTER_DIR (default
# /tmp/patrol-kafka-cluster), one directory per node (nodeN: data, logs,
# pid). Ports: brokers 127.0.0.1:19291-19293 (plaintext), controllers
# 19391-19393; none is shared with services.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PATROL_CACHE:-$HOME/.cache/patrol}
state=${PATROL_CLUSTER_DIR:-/tmp/patrol-kafka-cluster}
kafka_version=3.9.1
kafka_libs=$cache/kafka-$kafka_version/libs
broker_base=19290
controller_base=19390
nodes=(1 2 3)
java_opts="-Xms128m -Xmx384m -XX:+UseSerialGC"

log() { printf 'cluster: %s\n' "$*" >&2; }

broker_port() { echo $((broker_base + $1)); }
node_dir() { echo "$state/node$1"; }

bootstrap() {
  local n out=()
  for n in "${nodes[@]}"; do out+=("127.0.0.1:$(broker_port "$n")"); done
  local IFS=,; echo "${out[*]}"
}

voters() {
  local n out=()
  for n in "${nodes[@]}"; do out+=("$n@127.0.0.1:$((controller_base + n))"); done
  local IFS=,; echo "${out[*]}"
}

# prepare fetches the jars when missing and writes the tools' log4j file.
prepare() {
  [ -f "$kafka_libs/kafka_2.13-$kafka_version.jar" ] || "$here/services.sh" setup
  mkdir -p "$state"
  printf '%s\n' 'log4j.rootLogger=WARN, stderr' 'log4j.appender.stderr=org.apache.log4j.ConsoleAppender' \
    'log4j.appender.stderr.Target=System.err' 'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout' \
    'log4j.appender.stderr.layout.ConversionPattern=%p %m (%c)%n' >"$state/tools-log4j.properties"
}

# java_run runs a Kafka class with the cached jars (log4j to stderr at WARN).
java_run() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$state/tools-log4j.properties" \
    -cp "$kafka_libs/*" "$@"
}

alive() { # pid: does the process exist and is it not a zombie?
  kill -0 "$1" 2>/dev/null || return 1
  local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo Z)
  [ "$st" != Z ]
}

running() { # node: is its process alive?
  local f; f="$(node_dir "$1")/pid"
  [ -f "$f" ] && alive "$(cat "$f")"
}

check_node() {
  case "${1:-}" in
    1|2|3) ;;
    *) echo "usage: $0 kill|restart N (N = 1, 2 or 3)" >&2; exit 2 ;;
  esac
}

write_config() { # node
  local n=$1 dir; dir=$(node_dir "$1")
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$((controller_base + n))
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
PROPS
  cat >"$dir/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
}

format_node() { # node: format its log dir once, with the cluster's id
  local dir; dir=$(node_dir "$1")
  [ -f "$dir/data/meta.properties" ] && return 0
  java_run kafka.tools.StorageTool format -t "$(cat "$state/cluster.id")" -c "$dir/server.properties" \
    >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; return 1; }
}

launch_node() { # node: start its process unless it runs
  local n=$1 dir; dir=$(node_dir "$1")
  running "$n" && return 0
  rm -f "$dir/pid"
  # Its own session, so that the node outlives the shell or test that
  # (re)started it and no signal to that process group reaches it.
  # shellcheck disable=SC2016,SC2086
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/pid" \
    java $java_opts -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$kafka_libs/*" \
    kafka.Kafka "$dir/server.properties" </dev/null >"$dir/kafka.out" 2>&1 &
  local i
  for i in $(seq 1 50); do [ -s "$dir/pid" ] && return 0; sleep 0.1; done
  log "node $n: no pid file"; return 1
}

wait_node() { # node seconds: wait until its broker port accepts connections
  local n=$1 port i; port=$(broker_port "$1")
  for i in $(seq 1 "$2"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! running "$n"; then
      log "node $n exited"; tail -30 "$(node_dir "$n")/kafka.out" "$(node_dir "$n")/kafka.log" >&2 || true; return 1
    fi
    sleep 1
  done
  log "node $n did not open 127.0.0.1:$port within $2 s"
  tail -30 "$(node_dir "$n")/kafka.log" >&2 || true
  return 1
}

# brokers_up prints how many brokers the cluster's metadata lists (registered
# and not fenced), asking any node that answers.
brokers_up() {
  timeout 30 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$state/tools-log4j.properties" -cp "$kafka_libs/*" \
    kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$(bootstrap)" 2>/dev/null |
    grep -cE '^[^ ]+ \(id: [0-9]+ rack' || true
}

wait_brokers() { # seconds: wait until the cluster has three brokers
  local deadline=$((SECONDS + $1)) got
  while :; do
    got=$(brokers_up)
    [ "$got" = "${#nodes[@]}" ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the cluster has $got brokers, not ${#nodes[@]}, after $1 s"; return 1
    fi
    sleep 1
  done
}

start() {
  prepare
  [ -s "$state/cluster.id" ] || java_run kafka.tools.StorageTool random-uuid >"$state/cluster.id"
  local n pids=()
  for n in "${nodes[@]}"; do
    write_config "$n"
    if ! running "$n"; then format_node "$n" & pids+=($!); fi
  done
  for n in "${pids[@]}"; do wait "$n"; done
  for n in "${nodes[@]}"; do launch_node "$n"; done
  for n in "${nodes[@]}"; do wait_node "$n" 120; done
  wait_brokers 120
  log "kafka cluster $(bootstrap) is up (state $state)"
}

kill_node() { # node: SIGKILL it and wait until it is gone
  local n=$1 f pid i; f="$(node_dir "$1")/pid"
  if ! running "$n"; then log "node $n is not running"; rm -f "$f"; return 1; fi
  pid=$(cat "$f")
  kill -9 "$pid"
  for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then log "node $n (pid $pid) survived SIGKILL"; return 1; fi
  rm -f "$f"
  log "node $n (pid $pid) killed"
}

restart_node() { # node: start it again on its log dir
  local n=$1
  prepare
  [ -f "$(node_dir "$n")/data/meta.properties" ] || { log "node $n was never started: run $0 start"; return 1; }
  write_config "$n"
  launch_node "$n"
  wait_node "$n" 120
  wait_brokers 120
  log "node $n is back"
}

stop() {
  local n pid pids=()
  for n in "${nodes[@]}"; do
    if running "$n"; then
      pid=$(cat "$(node_dir "$n")/pid"); kill "$pid" 2>/dev/null || true; pids+=("$pid")
    fi
  done
  local i
  for i in $(seq 1 30); do
    local left=0
    for pid in "${pids[@]}"; do if alive "$pid"; then left=1; fi; done
    [ "$left" = 0 ] && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for n in "${nodes[@]}"; do rm -f "$(node_dir "$n")/pid"; done
}

status() {
  local n
  for n in "${nodes[@]}"; do
    if running "$n"; then echo "node $n: running (pid $(cat "$(node_dir "$n")/pid"), 127.0.0.1:$(broker_port "$n"))"
    else echo "node $n: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) check_node "${2:-}"; kill_node "$2" ;;
  restart) check_node "${2:-}"; restart_node "$2" ;;
  status) status ;;
  env) echo "PATROL_TEST_KAFKA_CLUSTER=$(bootstrap)"
    echo "PATROL_CLUSTER_DIR=$state" ;;
  *) echo "usage: $0 start|stop|kill N|restart N|status|env" >&2; exit 2 ;;
esac
