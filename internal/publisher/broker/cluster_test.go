package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/patrol-city/patrol/internal/backoff"
	pkafka "github.com/patrol-city/patrol/internal/kafka"
	"github.com/patrol-city/patrol/internal/publisher/broker"
	"github.com/patrol-city/patrol/internal/testkit/testenv"
)

// These tests run against the three-node KRaft cluster of
// deploy/testenv/cluster.sh ($PATROL_TEST_KAFKA_CLUSTER, set by make test).

// clusterBrokers returns the brokers of the test cluster once all three are
// registered; without a cluster the test is skipped.
func clusterBrokers(t *testing.T) []string {
	t.Helper()
	brokers := testenv.KafkaCluster()
	if len(brokers) == 0 {
		t.Skipf("%s unset: no three-broker Kafka cluster (make test starts one; by hand: "+
			"deploy/testenv/cluster.sh start && eval \"$(deploy/testenv/cluster.sh env | sed 's/^/export /')\")",
			testenv.ClusterEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := poll(ctx, func(ctx context.Context) (bool, error) {
		all, err := liveBrokers(ctx, brokers)
		return len(all) == 3, err
	})
	if err != nil {
		t.Fatalf("the cluster %v does not have three brokers: %v", brokers, err)
	}
	return brokers
}

// poll calls cond every 200 ms until it reports true or ctx ends; then it
// returns ctx's error with cond's last error.
func poll(ctx context.Context, cond func(ctx context.Context) (bool, error)) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%w (last: %w)", ctx.Err(), err)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// dialAny connects to the first of brokers that answers, with ctx's
// deadline on the connection.
func dialAny(ctx context.Context, brokers []string) (*kafka.Conn, error) {
	var errs []error
	for _, b := range brokers {
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := pkafka.Security{}.Dialer().DialContext(dctx, "tcp", b)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		return conn, nil
	}
	return nil, fmt.Errorf("no broker of %v answers: %w", brokers, errors.Join(errs...))
}

// liveBrokers returns the brokers the cluster's metadata lists (registered,
// not fenced).
func liveBrokers(ctx context.Context, brokers []string) ([]kafka.Broker, error) {
	conn, err := dialAny(ctx, brokers)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	all, err := conn.Brokers()
	if err != nil {
		return nil, fmt.Errorf("brokers: %w", err)
	}
	return all, nil
}

// partitionsOf returns the partitions of topics (all topics when none is
// given); it never creates a topic.
func partitionsOf(ctx context.Context, brokers []string, topics ...string) ([]kafka.Partition, error) {
	conn, err := dialAny(ctx, brokers)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		return nil, fmt.Errorf("partitions: %w", err)
	}
	if len(topics) == 0 {
		return parts, nil
	}
	return slices.DeleteFunc(parts, func(p kafka.Partition) bool { return !slices.Contains(topics, p.Topic) }), nil
}

// waitTopics waits until each topic of want has its partition count, every
// partition a leader and its whole replica set in sync, and returns them.
func waitTopics(ctx context.Context, brokers []string, want map[string]int) ([]kafka.Partition, error) {
	topics := make([]string, 0, len(want))
	for name := range want {
		topics = append(topics, name)
	}
	var parts []kafka.Partition
	err := poll(ctx, func(ctx context.Context) (bool, error) {
		var err error
		if parts, err = partitionsOf(ctx, brokers, topics...); err != nil {
			return false, err
		}
		got := map[string]int{}
		for _, p := range parts {
			if p.Leader.Host == "" || len(p.Isr) != len(p.Replicas) {
				return false, fmt.Errorf("%s/%d: leader %d, in sync %d of %d", p.Topic, p.ID, p.Leader.ID, len(p.Isr), len(p.Replicas))
			}
			got[p.Topic]++
		}
		for name, n := range want {
			if got[name] != n {
				return false, fmt.Errorf("%s: %d partitions, want %d", name, got[name], n)
			}
		}
		return true, nil
	})
	return parts, err
}

// topicConfigs reads the configuration entries of topics through
// DescribeConfigs.
func topicConfigs(ctx context.Context, brokers []string, topics ...string) (map[string]map[string]kafka.DescribeConfigResponseConfigEntry, error) {
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	req := &kafka.DescribeConfigsRequest{}
	for _, name := range topics {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: name,
			ConfigNames: []string{"min.insync.replicas", "cleanup.policy"}})
	}
	res, err := c.DescribeConfigs(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("describe configs: %w", err)
	}
	out := map[string]map[string]kafka.DescribeConfigResponseConfigEntry{}
	for _, r := range res.Resources {
		if r.Error != nil {
			return nil, fmt.Errorf("describe configs %s: %w", r.ResourceName, r.Error)
		}
		out[r.ResourceName] = map[string]kafka.DescribeConfigResponseConfigEntry{}
		for _, e := range r.ConfigEntries {
			out[r.ResourceName][e.ConfigName] = e
		}
	}
	return out, nil
}

// configSourceTopic is DescribeConfigs' source of a value set on the topic
// itself (DYNAMIC_TOPIC_CONFIG), as opposed to a broker default.
const configSourceTopic = 1

// TestTopicsReplicatedOnThreeBrokers: on three brokers CreateTopics
// replicates by default on all three with min.insync.replicas 2 set on the
// topic, a compacted topic gets cleanup.policy compact, explicit settings
// are applied as given, and a factor above the broker count is refused
// before anything is created.
func TestTopicsReplicatedOnThreeBrokers(t *testing.T) {
	brokers := clusterBrokers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	plain, compact, explicit := "patrol-repl-"+suffix, "patrol-repl-compact-"+suffix, "patrol-repl-explicit-"+suffix

	if err := pkafka.CreateTopics(ctx, pkafka.Security{}, brokers, pkafka.Replication{},
		pkafka.Topic{Name: plain, Partitions: 3}, pkafka.Topic{Name: compact, Compacted: true}); err != nil {
		t.Fatal(err)
	}
	if err := pkafka.CreateTopics(ctx, pkafka.Security{}, brokers, pkafka.Replication{Factor: 2, MinInsync: 1},
		pkafka.Topic{Name: explicit}); err != nil {
		t.Fatal(err)
	}
	parts, err := waitTopics(ctx, brokers, map[string]int{plain: 3, compact: 1, explicit: 1})
	if err != nil {
		t.Fatal(err)
	}
	factor := map[string]int{plain: 3, compact: 3, explicit: 2}
	for _, p := range parts {
		ids := map[int]bool{}
		for _, r := range p.Replicas {
			ids[r.ID] = true
		}
		if len(p.Replicas) != factor[p.Topic] || len(ids) != factor[p.Topic] {
			t.Errorf("%s/%d: replicas %v, want %d distinct brokers", p.Topic, p.ID, p.Replicas, factor[p.Topic])
		}
	}

	// A broker may not know a topic the controller just created yet:
	// ask again until it does (bounded by ctx).
	cfgs, err := topicConfigs(ctx, brokers, plain, compact, explicit)
	for err != nil && errors.Is(err, kafka.UnknownTopicOrPartition) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		cfgs, err = topicConfigs(ctx, brokers, plain, compact, explicit)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ topic, name, want string }{
		{plain, "min.insync.replicas", "2"},
		{compact, "min.insync.replicas", "2"},
		{compact, "cleanup.policy", "compact"},
		{explicit, "min.insync.replicas", "1"},
	} {
		e, ok := cfgs[c.topic][c.name]
		switch {
		case !ok:
			t.Errorf("%s: no %s in DescribeConfigs", c.topic, c.name)
		case e.ConfigValue != c.want || e.ConfigSource != configSourceTopic:
			t.Errorf("%s: %s = %q (source %d), want %q set on the topic (source %d)",
				c.topic, c.name, e.ConfigValue, e.ConfigSource, c.want, configSourceTopic)
		}
	}
	if got := cfgs[plain]["cleanup.policy"].ConfigValue; got != "delete" {
		t.Errorf("%s: cleanup.policy = %q, want delete", plain, got)
	}

	tooMany := "patrol-repl-four-" + suffix
	err = pkafka.CreateTopics(ctx, pkafka.Security{}, brokers, pkafka.Replication{Factor: 4}, pkafka.Topic{Name: tooMany})
	if err == nil || !strings.Contains(err.Error(), "replication factor 4") || !strings.Contains(err.Error(), "the cluster has 3") {
		t.Errorf("factor 4 on 3 brokers: err = %v, want one naming the factor and the 3 brokers", err)
	}
	all, err := partitionsOf(ctx, brokers)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(all, func(p kafka.Partition) bool { return p.Topic == tooMany }) {
		t.Errorf("%s was created despite the error", tooMany)
	}
}

// The burst: burstCameras cameras (keys), each with burstCases cases of
// burstEvents events (seq 1..burstEvents), over burstPartitions partitions.
const (
	burstCameras    = 12
	burstCases      = 25
	burstEvents     = 10
	burstPartitions = 6
	burstMessages   = burstCameras * burstCases * burstEvents
)

// burstValue is the value of a burst message: what a case message carries
// for de-duplication and order.
type burstValue struct {
	CaseID string `json:"case_id"`
	Seq    int    `json:"seq"`
	Camera string `json:"camera"`
}

// publishUntilAcked writes m until the broker acknowledges it, as the
// outbox's sender does (publisher/retry.go): every attempt bounded, a
// rejection final, exponential backoff with jitter between attempts, until
// ctx ends. It returns the number of failed attempts.
func publishUntilAcked(ctx context.Context, w broker.MessageWriter, m broker.Message) (int, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.WriteMessage(actx, m)
		cancel()
		switch {
		case err == nil:
			return attempt - 1, nil
		case errors.Is(err, broker.ErrRejected):
			return attempt, err
		case ctx.Err() != nil:
			return attempt, fmt.Errorf("%s not acknowledged in time: %w", m.ID, err)
		}
		t := time.NewTimer(backoff.Delay(100*time.Millisecond, 2*time.Second, attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, fmt.Errorf("%s not acknowledged in time: %w", m.ID, err)
		case <-t.C:
		}
	}
}

// camerasPerPartition picks camera ids so that each partition holds two
// of them (the writer's hash balancer), whichever broker leads it.
func camerasPerPartition() (cams []string, partOf map[string]int) {
	partitions := make([]int, burstPartitions)
	for i := range partitions {
		partitions[i] = i
	}
	partOf = map[string]int{}
	count := make([]int, burstPartitions)
	for i := 1; len(cams) < burstCameras; i++ {
		cam := fmt.Sprintf("cam-%04d", i)
		p := (&kafka.Hash{}).Balance(kafka.Message{Key: []byte(cam)}, partitions...)
		if count[p] < burstCameras/burstPartitions {
			count[p]++
			cams = append(cams, cam)
			partOf[cam] = p
		}
	}
	return cams, partOf
}

// cluster runs deploy/testenv/cluster.sh with args and returns how long it
// took.
func cluster(ctx context.Context, script string, args ...string) (time.Duration, error) {
	start := time.Now()
	out, err := exec.CommandContext(ctx, script, args...).CombinedOutput()
	if err != nil {
		return time.Since(start), fmt.Errorf("cluster.sh %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return time.Since(start), nil
}

// readAll reads partition p of topic from its first offset to its high
// watermark (what is committed).
func readAll(ctx context.Context, brokers []string, topic string, p int) ([]kafka.Message, error) {
	conn, err := pkafka.Security{}.Dialer().DialLeader(ctx, "tcp", brokers[0], topic, p)
	if err != nil {
		return nil, fmt.Errorf("partition %d: leader: %w", p, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	first, last, err := conn.ReadOffsets()
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("partition %d: offsets: %w", p, err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return nil, fmt.Errorf("partition %d: seek: %w", p, err)
	}
	var msgs []kafka.Message
	for next := first; next < last; {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return msgs, fmt.Errorf("partition %d: read at %d of [%d, %d): %w", p, next, first, last, err)
		}
		msgs = append(msgs, m)
		next = m.Offset + 1
	}
	return msgs, nil
}

// cameraRun is what one camera's writer saw.
type cameraRun struct {
	acked    []string      // ce_ids acknowledged, in order
	retries  int           // failed attempts
	maxStall time.Duration // longest time a message took to be acknowledged
	err      error
}

// TestBrokerKilledDuringBurst publishes a burst of case messages through
// the real Writer with the outbox's retry-until-acknowledged loop, kills
// (SIGKILL) the broker leading the most partitions a quarter of the way
// through, and restarts it afterwards. Reading the topic back: no
// acknowledged message is lost, duplicates from retries are counted, and
// per camera each case's events appear in order once de-duplicated by
// (case_id, seq).
func TestBrokerKilledDuringBurst(t *testing.T) {
	brokers := clusterBrokers(t)
	script := testenv.ClusterScript()
	if script == "" {
		t.Fatal("deploy/testenv/cluster.sh not found above the working directory")
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 110*time.Second)
	defer cancel()

	topic := "patrol-burst-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := pkafka.CreateTopics(ctx, pkafka.Security{}, brokers, pkafka.Replication{},
		pkafka.Topic{Name: topic, Partitions: burstPartitions}); err != nil {
		t.Fatal(err)
	}
	parts, err := waitTopics(ctx, brokers, map[string]int{topic: burstPartitions})
	if err != nil {
		t.Fatal(err)
	}
	led := map[int][]int{} // broker id -> partitions it leads
	for _, p := range parts {
		if len(p.Replicas) != 3 {
			t.Fatalf("partition %d: replicas %v, want 3", p.ID, p.Replicas)
		}
		led[p.Leader.ID] = append(led[p.Leader.ID], p.ID)
	}
	victim := 0
	for id, ps := range led {
		if victim == 0 || len(ps) > len(led[victim]) || (len(ps) == len(led[victim]) && id < victim) {
			victim = id
		}
	}
	victimParts := map[int]bool{}
	for _, p := range led[victim] {
		victimParts[p] = true
	}
	t.Logf("topic %s: partitions by leader %v; killing broker %d", topic, led, victim)

	w, err := broker.NewWriter(broker.WriterConfig{Brokers: brokers, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	cams, partOf := camerasPerPartition()
	killAt := int64(burstMessages / 4)
	var acked atomic.Int64
	killNow := make(chan struct{})
	var killOnce sync.Once
	runs := make([]cameraRun, len(cams))
	burstCtx, burstCancel := context.WithTimeout(ctx, 60*time.Second)
	defer burstCancel()
	var wg sync.WaitGroup
	burstStart := time.Now()
	for i, cam := range cams {
		wg.Add(1)
		go func(run *cameraRun, cam string) {
			defer wg.Done()
			for seq := 1; seq <= burstEvents; seq++ {
				for c := 1; c <= burstCases; c++ {
					caseID := fmt.Sprintf("%s-case-%02d", cam, c)
					value, err := json.Marshal(burstValue{CaseID: caseID, Seq: seq, Camera: cam})
					if err != nil {
						run.err = err
						return
					}
					m := broker.Message{Key: cam, Value: value, ID: fmt.Sprintf("%s:%d", caseID, seq),
						Source: broker.SourcePrefix + "burst", Type: "patrol.case.updated", Subject: caseID, Time: time.Now()}
					start := time.Now()
					failed, err := publishUntilAcked(burstCtx, w, m)
					run.retries += failed
					if err != nil {
						run.err = err
						return
					}
					run.maxStall = max(run.maxStall, time.Since(start))
					run.acked = append(run.acked, m.ID)
					if acked.Add(1) == killAt {
						killOnce.Do(func() { close(killNow) })
					}
				}
			}
		}(&runs[i], cam)
	}
	burstDone := make(chan struct{})
	go func() { wg.Wait(); close(burstDone) }()
	defer func() { burstCancel(); <-burstDone }() // before w.Close, on every way out

	restarted := false
	select {
	case <-killNow:
	case <-burstDone:
		t.Fatalf("the burst ended before %d messages were acknowledged", killAt)
	case <-ctx.Done():
		t.Fatalf("no %d messages acknowledged in time: %v", killAt, ctx.Err())
	}
	killedAt := time.Now()
	killTook, err := cluster(ctx, script, "kill", strconv.Itoa(victim))
	if err != nil {
		t.Fatal(err)
	}
	ackedAtKill := acked.Load()
	t.Cleanup(func() {
		if restarted {
			return
		}
		rctx, rcancel := context.WithTimeout(context.Background(), 150*time.Second)
		defer rcancel()
		if _, err := cluster(rctx, script, "restart", strconv.Itoa(victim)); err != nil {
			t.Errorf("restarting broker %d after the test: %v", victim, err)
		}
	})
	// The controller fences the dead broker when its session times out;
	// only then do its partitions get new leaders.
	fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
	err = poll(fctx, func(ctx context.Context) (bool, error) {
		all, err := liveBrokers(ctx, brokers)
		return err == nil && !slices.ContainsFunc(all, func(b kafka.Broker) bool { return b.ID == victim }), err
	})
	fcancel()
	if err != nil {
		t.Errorf("broker %d still listed 30 s after SIGKILL: %v", victim, err)
	}
	fenced := time.Since(killedAt)

	select {
	case <-burstDone:
	case <-ctx.Done():
		t.Fatalf("the burst did not end: %v", ctx.Err())
	}
	burstTook := time.Since(burstStart)
	retries := 0
	var stallVictim, stallOther time.Duration
	ackedIDs := map[string]bool{}
	for i, run := range runs {
		if run.err != nil {
			t.Errorf("%s: %v", cams[i], run.err)
		}
		retries += run.retries
		for _, id := range run.acked {
			ackedIDs[id] = true
		}
		if victimParts[partOf[cams[i]]] {
			stallVictim = max(stallVictim, run.maxStall)
		} else {
			stallOther = max(stallOther, run.maxStall)
		}
	}
	if ackedAtKill >= burstMessages {
		t.Errorf("every message was acknowledged before the kill took effect: nothing was written during the outage")
	}

	restartTook, err := cluster(ctx, script, "restart", strconv.Itoa(victim))
	if err != nil {
		t.Fatal(err)
	}
	restarted = true
	syncStart := time.Now()
	if _, err := waitTopics(ctx, brokers, map[string]int{topic: burstPartitions}); err != nil {
		t.Errorf("broker %d did not catch up: %v", victim, err)
	}
	caughtUp := time.Since(syncStart)

	raw, dups := 0, 0
	seen := map[string]int{}
	camPart := map[string]int{}
	for p := 0; p < burstPartitions; p++ {
		msgs, err := readAll(ctx, brokers, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		last := map[string]int{} // case -> last seq seen (first copies only)
		for _, m := range msgs {
			raw++
			var v burstValue
			if err := json.Unmarshal(m.Value, &v); err != nil {
				t.Fatalf("partition %d offset %d: %v", p, m.Offset, err)
			}
			id := fmt.Sprintf("%s:%d", v.CaseID, v.Seq)
			if h := header(m, "ce_id"); h != id || string(m.Key) != v.Camera {
				t.Errorf("partition %d offset %d: key %q ce_id %q, value says %s %s", p, m.Offset, m.Key, h, v.Camera, id)
			}
			if q, ok := camPart[v.Camera]; ok && q != p {
				t.Errorf("camera %s in partitions %d and %d", v.Camera, q, p)
			}
			camPart[v.Camera] = p
			seen[id]++
			if seen[id] > 1 {
				dups++
				continue
			}
			if v.Seq != last[v.CaseID]+1 {
				t.Errorf("partition %d offset %d: %s seq %d after seq %d", p, m.Offset, v.CaseID, v.Seq, last[v.CaseID])
			}
			last[v.CaseID] = v.Seq
		}
	}
	lost := 0
	for id := range ackedIDs {
		if seen[id] == 0 {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged %s is not on the topic", id)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged messages lost", lost, len(ackedIDs))
	}
	if len(ackedIDs) != burstMessages {
		t.Errorf("%d of %d messages acknowledged", len(ackedIDs), burstMessages)
	}
	if len(seen) != len(ackedIDs) {
		t.Errorf("%d distinct messages on the topic, %d acknowledged", len(seen), len(ackedIDs))
	}
	t.Logf("%d messages from %d cameras, %d acknowledged (%d before the kill), %d read, %d distinct, %d duplicates, %d lost; "+
		"%d failed write attempts retried", burstMessages, len(cams), len(ackedIDs), ackedAtKill, raw, len(seen), dups, lost, retries)
	t.Logf("broker %d: SIGKILL took %v, fenced %v after it; longest wait for an ack %v on its partitions, %v elsewhere; "+
		"burst %v; restart %v, replicas in sync %v later; test %v",
		victim, killTook.Round(time.Millisecond), fenced.Round(time.Millisecond), stallVictim.Round(time.Millisecond),
		stallOther.Round(time.Millisecond), burstTook.Round(time.Millisecond), restartTook.Round(time.Millisecond),
		caughtUp.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// header returns the value of m's header key, or "".
func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
