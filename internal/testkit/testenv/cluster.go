package testenv

import (
	"os"
	"path/filepath"
	"strings"
)

// ClusterEnv is the environment variable naming the brokers of the
// three-node Kafka cluster the replication tests run against
// (deploy/testenv/cluster.sh; make test sets it).
const ClusterEnv = "PATROL_TEST_KAFKA_CLUSTER"

// KafkaCluster returns the brokers of $PATROL_TEST_KAFKA_CLUSTER, a
// comma-separated list of host:port, or nil when it is unset.
func KafkaCluster() []string {
	var brokers []string
	for _, b := range strings.Split(os.Getenv(ClusterEnv), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	return brokers
}

// ClusterScript returns the absolute path of deploy/testenv/cluster.sh,
// which starts, kills and restarts the cluster's nodes, or "" when the
// module root or the script cannot be found.
func ClusterScript() string {
	root := ModuleRoot()
	if root == "" {
		return ""
	}
	s := filepath.Join(root, "deploy", "testenv", "cluster.sh")
	if _, err := os.Stat(s); err != nil {
		return ""
	}
	return s
}
