package metrics

import "github.com/prometheus/client_golang/prometheus"

// Delivery counts what the worker's publisher and health reporter sent
// and retried.
type Delivery struct {
	// CasesPublished and CaseRetries: case messages published, and failed
	// uploads or publishes retried.
	CasesPublished, CaseRetries uint64
	// CasesWithoutClip: cases published without a confirmation clip.
	CasesWithoutClip uint64
	// HealthSent, HealthRetries and HealthDropped: health events
	// published, failed attempts retried, events dropped (queue full).
	HealthSent, HealthRetries, HealthDropped uint64
}

// DeliverySource reports the worker's delivery counters.
type DeliverySource interface {
	Delivery() Delivery
}

var (
	dCasesPublished = prometheus.NewDesc("patrol_cases_published_total",
		"Case messages published to Kafka.", []string{"worker"}, nil)
	dCaseRetries = prometheus.NewDesc("patrol_publish_retries_total",
		"Evidence uploads and case publishes that failed and were retried (logged once per failing operation).", []string{"worker"}, nil)
	dCasesClipless = prometheus.NewDesc("patrol_cases_without_clip_total",
		"Cases published without a confirmation clip: the camera's buffer held no picture around the confirmation.", []string{"worker"}, nil)
	dHealthSent = prometheus.NewDesc("patrol_health_events_sent_total",
		"Health events published to Kafka.", []string{"worker"}, nil)
	dHealthRetries = prometheus.NewDesc("patrol_health_event_retries_total",
		"Health event publications that failed and were retried (logged once per outage).", []string{"worker"}, nil)
	dHealthDropped = prometheus.NewDesc("patrol_health_events_dropped_total",
		"Health events dropped because their queue was full.", []string{"worker"}, nil)
)

func describeDelivery(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dCasesPublished, dCaseRetries, dCasesClipless, dHealthSent, dHealthRetries, dHealthDropped} {
		ch <- d
	}
}

func (c *collector) collectDelivery(ch chan<- prometheus.Metric) {
	if c.delivery == nil {
		return
	}
	d := c.delivery.Delivery()
	for desc, v := range map[*prometheus.Desc]uint64{dCasesPublished: d.CasesPublished, dCaseRetries: d.CaseRetries, dCasesClipless: d.CasesWithoutClip,
		dHealthSent: d.HealthSent, dHealthRetries: d.HealthRetries, dHealthDropped: d.HealthDropped} {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), c.worker)
	}
}
