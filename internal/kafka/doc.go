// Package kafka is patrol's one place for reaching Kafka: the connection's
// security (TLS, SASL PLAIN and SCRAM, read once from the kafka section:
// SecurityFor), the admin work (creating topics with their partitions,
// compaction and replication: CreateTopics, ReplicationOf) and the topic
// lists of the worker and the console, and the compacted-table follower
// (OpenTable over ktable). The worker, the console and the command line
// use it alike; internal/kafka/ktable follows a compacted topic and
// internal/kafka/registry encodes the camera registry's records.
//
// kafka-go (segmentio) writes and administers; franz-go (kgo) reads the
// tables and the console's topics, because a kafka-go Reader follows one
// partition (or a consumer group's share of them), while a table needs
// every partition from offset 0 without a group, which one kgo client
// does with one connection per broker (ktable's doc). Both take the same Security: the SASL mechanism built for
// kafka-go is adapted to franz-go (saslAdapter). It builds with
// CGO_ENABLED=0.
package kafka
