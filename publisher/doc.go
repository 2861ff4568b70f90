// Package publisher cuts evidence for candidate cases (MP4 clip, annotated
// snapshot), keeps each case durably in an outbox (package outbox), uploads
// its evidence and then publishes it, with CloudEvents headers, to Kafka.
// docs/delivery.md describes the guarantees.
package publisher
