// Package publisher cuts evidence for candidate cases (MP4 clip, annotated
// snapshot), keeps each case durably in an outbox (package outbox), uploads
// its evidence and then publishes it, with CloudEvents headers, to Kafka.
// Its sub-packages are the parts of the publisher stage: clip (MP4 without
// re-encoding), snapshot (annotated JPEG), evidence (S3/MinIO and directory
// stores), outbox (the durable queue), broker (Kafka writer) and health
// (camera health events).
// docs/delivery.md describes the guarantees.
package publisher
