// Package e2e holds end-to-end tests of the whole worker against the real
// services: a simulated camera over RTSP, the real model, a real Kafka broker
// (PATROL_TEST_KAFKA) and a real MinIO server (PATROL_TEST_S3). Run them with
// `make test`, which starts both. The tests that stop Kafka or MinIO run
// first, alone; the others then run in parallel within a CPU budget
// (main_test.go). Every test runs its workers through one harness
// (harness_test.go: startWorker, runWorker) and builds its camera and
// configuration with setup_test.go.
package e2e
