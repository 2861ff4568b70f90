package metrics

import "github.com/prometheus/client_golang/prometheus"

// Rechecks counts the re-check requests (核查) a worker read and the
// answers it sent.
type Rechecks struct {
	// Requests are the requests read (every camera's, repeats included);
	// Invalid the messages refused (logged).
	Requests, Invalid uint64
	// Answered counts the answers this worker sent, by status (present,
	// gone, unknown); Repeated the answers sent again for a repeated
	// request id.
	Answered map[string]uint64
	Repeated uint64
	// Expired counts requests dropped unanswered (no owner within 5
	// minutes); Pending is how many wait now.
	Expired uint64
	Pending int
}

// RecheckSource reports the re-check counters.
type RecheckSource interface {
	Rechecks() Rechecks
}

var (
	dRecheckRequests = prometheus.NewDesc("patrol_recheck_requests_total",
		"Re-check requests read from the re-checks topic (every camera's, repeats included).", []string{"worker"}, nil)
	dRecheckInvalid = prometheus.NewDesc("patrol_recheck_invalid_total",
		"Messages on the re-checks topic refused as invalid (logged).", []string{"worker"}, nil)
	dRecheckAnswered = prometheus.NewDesc("patrol_recheck_answers_total",
		"Re-check answers this worker sent, by status.", []string{"worker", "status"}, nil)
	dRecheckRepeated = prometheus.NewDesc("patrol_recheck_repeated_total",
		"Answers sent again for a repeated request id.", []string{"worker"}, nil)
	dRecheckExpired = prometheus.NewDesc("patrol_recheck_expired_total",
		"Re-check requests dropped unanswered (no worker ran the camera for 5 minutes).", []string{"worker"}, nil)
	dRecheckPending = prometheus.NewDesc("patrol_recheck_pending",
		"Re-check requests waiting for their camera's owner.", []string{"worker"}, nil)
)

// recheckStatuses are the answer statuses always reported.
var recheckStatuses = []string{"present", "gone", "unknown"}

func describeRechecks(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dRecheckRequests, dRecheckInvalid, dRecheckAnswered, dRecheckRepeated, dRecheckExpired, dRecheckPending} {
		ch <- d
	}
}

func (c *collector) collectRechecks(ch chan<- prometheus.Metric) {
	if c.rechecks == nil {
		return
	}
	r := c.rechecks.Rechecks()
	for desc, v := range map[*prometheus.Desc]uint64{dRecheckRequests: r.Requests, dRecheckInvalid: r.Invalid,
		dRecheckRepeated: r.Repeated, dRecheckExpired: r.Expired} {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), c.worker)
	}
	for _, s := range recheckStatuses {
		ch <- prometheus.MustNewConstMetric(dRecheckAnswered, prometheus.CounterValue, float64(r.Answered[s]), c.worker, s)
	}
	ch <- prometheus.MustNewConstMetric(dRecheckPending, prometheus.GaugeValue, float64(r.Pending), c.worker)
}
