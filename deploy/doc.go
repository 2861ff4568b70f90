// Package deploy holds patrol's deployment files: the container image
// (Dockerfile), a fleet on one machine with Docker Compose (compose.yaml,
// fleet/), the Kubernetes manifests (k8s/), the example configuration and
// the scripts of the test services (testenv/). It has no code: its tests
// check the image, the compose file and the manifests statically, against
// a Dockerfile parser, the Compose specification, the Kubernetes API types
// and patrol's own configuration loader (docs/deploy.md).
package deploy
