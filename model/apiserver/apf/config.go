package apf

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("apf: invalid config")

// LevelType says how a priority level limits its requests.
type LevelType uint8

const (
	// Exempt requests are never limited (they still count in the metrics).
	Exempt LevelType = iota
	// Queuing levels queue what they cannot dispatch, in shuffle-sharded
	// fair queues.
	Queuing
	// Reject levels answer 429 to what they cannot dispatch (catch-all).
	Reject
)

var levelTypeNames = [...]string{"Exempt", "Queuing", "Reject"}

func (t LevelType) String() string { return levelTypeNames[t] }

// LevelConfig is one PriorityLevelConfiguration.
type LevelConfig struct {
	Name string
	Type LevelType
	// NominalConcurrencyShares divides the server's concurrency limit
	// among the levels (exempt's shares count in the sum too).
	NominalConcurrencyShares int
	// LendablePercent is kept for the record (LevelInfo.LendableCL); this
	// model does not borrow or lend.
	LendablePercent int
	// Queuing parameters, for Type == Queuing.
	Queues           int
	HandSize         int
	QueueLengthLimit int
}

// Distinguisher is a FlowSchema's FlowDistinguisherMethod.
type Distinguisher uint8

const (
	DistinguishNone Distinguisher = iota // every request of the schema is one flow
	ByUser                               // one flow per user name
	ByNamespace                          // one flow per namespace ("" for cluster-scoped requests)
)

var distinguisherNames = [...]string{"None", "ByUser", "ByNamespace"}

func (d Distinguisher) String() string { return distinguisherNames[d] }

// SubjectKind is what a Subject names.
type SubjectKind uint8

const (
	SubjectUser SubjectKind = iota
	SubjectGroup
	SubjectServiceAccount
)

// Subject is one subject of a policy rule. Name "*" matches every user,
// every group, or every service account of Namespace.
type Subject struct {
	Kind      SubjectKind
	Name      string
	Namespace string // for SubjectServiceAccount
}

// ResourceRule matches resource requests. "*" is the wildcard in every
// list; a resource is "resource" or "resource/subresource". A request
// without a namespace matches only if ClusterScope is set.
type ResourceRule struct {
	Verbs        []string
	APIGroups    []string
	Resources    []string
	Namespaces   []string
	ClusterScope bool
}

// NonResourceRule matches non-resource requests (/healthz and the like).
// A URL ending in "*" matches by prefix; "*" matches every path.
type NonResourceRule struct {
	Verbs []string
	URLs  []string
}

// PolicyRule is a PolicyRulesWithSubjects: it matches a request made by
// one of Subjects that matches one of the resource or non-resource rules.
type PolicyRule struct {
	Subjects     []Subject
	Resources    []ResourceRule
	NonResources []NonResourceRule
}

// FlowSchema classifies requests into a priority level.
type FlowSchema struct {
	Name               string
	Level              string
	MatchingPrecedence int
	Distinguisher      Distinguisher
	Rules              []PolicyRule
}

// WorkConfig holds the work estimator's parameters
// (k8s.io/apiserver/pkg/util/flowcontrol/request/config.go).
type WorkConfig struct {
	MinimumSeats int // minimumSeats = 1
	// MaximumSeats caps every estimate (maximumSeatsLimit = 10); a level's
	// own cap can be lower (see LevelInfo.MaxSeats).
	MaximumSeats   int
	ObjectsPerSeat int // objectsPerSeat = 100
	// MutatingEnabled turns on the watch fan-out estimate of writes
	// (enableMutatingWorkEstimator = true).
	MutatingEnabled         bool
	WatchesPerSeat          int           // watchesPerSeat = 10
	EventAdditionalDuration time.Duration // eventAdditionalDuration = 5ms
}

// Config is the API Priority and Fairness configuration of one API server.
type Config struct {
	// ServerConcurrencyLimit is --max-requests-inflight +
	// --max-mutating-requests-inflight (400 + 200 = 600 by default;
	// k8s.io/apiserver/pkg/server/options/feature.go sums them when APF is on).
	ServerConcurrencyLimit int
	// RequestTimeout is --request-timeout (60s), the deadline of a request
	// whose Request.Timeout is 0. A request may wait in its queue for a
	// quarter of its deadline, at most MaxWaitLimit
	// (server/filters/priority-and-fairness.go, getRequestWaitContext).
	RequestTimeout time.Duration
	MaxWaitLimit   time.Duration // 1m
	// EstimatedServiceDuration is the fair-queuing scheduler's guess G at a
	// request's initial-phase duration, corrected when it finishes
	// (fairqueuing/queueset/queueset.go: estimatedServiceDuration = 3ms).
	EstimatedServiceDuration time.Duration
	// MaxSeatsFraction: a queuing level's cap on a request's seats is
	// max(1, min(ceil(MaxSeatsFraction × nominalCL), nominalCL/handSize))
	// (apf_controller.go: priorityLevelMaxSeatsPercent = 0.15), then
	// capped by Work.MaximumSeats. Kept in percent so it stays exact.
	MaxSeatsPercent int
	Work            WorkConfig
	Levels          []LevelConfig
	Schemas         []FlowSchema
}

// Validate checks the configuration the way the API server's validation
// and the queue-set constructor would.
func (c *Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
	}
	switch {
	case c.ServerConcurrencyLimit <= 0:
		return bad("server concurrency limit %d must be positive", c.ServerConcurrencyLimit)
	case c.ServerConcurrencyLimit > 20000:
		// Keeps the fair-queuing virtual time within int64 (see level).
		return bad("server concurrency limit %d is above 20000", c.ServerConcurrencyLimit)
	case c.RequestTimeout <= 0:
		return bad("request timeout %v must be positive", c.RequestTimeout)
	case c.MaxWaitLimit <= 0:
		return bad("max wait limit %v must be positive", c.MaxWaitLimit)
	case c.EstimatedServiceDuration <= 0:
		return bad("estimated service duration %v must be positive", c.EstimatedServiceDuration)
	case c.MaxSeatsPercent <= 0 || c.MaxSeatsPercent > 100:
		return bad("max seats percent %d must be in (0, 100]", c.MaxSeatsPercent)
	case c.Work.MinimumSeats < 1 || c.Work.MaximumSeats < c.Work.MinimumSeats:
		return bad("work seats [%d, %d] must satisfy 1 ≤ min ≤ max", c.Work.MinimumSeats, c.Work.MaximumSeats)
	case c.Work.ObjectsPerSeat <= 0 || c.Work.WatchesPerSeat <= 0:
		return bad("objects per seat %d and watches per seat %d must be positive", c.Work.ObjectsPerSeat, c.Work.WatchesPerSeat)
	case c.Work.EventAdditionalDuration < 0:
		return bad("event additional duration %v must not be negative", c.Work.EventAdditionalDuration)
	}
	shares := 0
	for i, l := range c.Levels {
		if l.Name == "" {
			return bad("level %d has no name", i)
		}
		if slices.ContainsFunc(c.Levels[:i], func(o LevelConfig) bool { return o.Name == l.Name }) {
			return bad("level %q appears twice", l.Name)
		}
		if (l.Type == Exempt) != (l.Name == "exempt") {
			return bad("level %q: only the level named exempt is (and must be) exempt", l.Name)
		}
		if l.NominalConcurrencyShares < 0 || l.LendablePercent < 0 || l.LendablePercent > 100 {
			return bad("level %q: shares %d, lendable %d%% out of range", l.Name, l.NominalConcurrencyShares, l.LendablePercent)
		}
		if l.Type != Exempt && l.NominalConcurrencyShares == 0 {
			return bad("level %q: a limited level needs positive shares", l.Name)
		}
		shares += l.NominalConcurrencyShares
		if l.Type != Queuing {
			continue
		}
		// shufflesharding.NewDealer and the API validation.
		switch {
		case l.Queues <= 0 || l.HandSize <= 0 || l.QueueLengthLimit <= 0:
			return bad("level %q: queues %d, hand size %d, queue length limit %d must be positive", l.Name, l.Queues, l.HandSize, l.QueueLengthLimit)
		case l.HandSize > l.Queues:
			return bad("level %q: hand size %d exceeds queues %d", l.Name, l.HandSize, l.Queues)
		case l.Queues > 1<<26:
			return bad("level %q: %d queues is impractically large", l.Name, l.Queues)
		case requiredEntropyBits(l.Queues, l.HandSize) > maxHashBits:
			return bad("level %q: dealing %d of %d queues needs more than %d hash bits", l.Name, l.HandSize, l.Queues, maxHashBits)
		}
	}
	if shares == 0 {
		return bad("the levels' shares sum to zero")
	}
	if !slices.ContainsFunc(c.Levels, func(l LevelConfig) bool { return l.Name == "exempt" }) ||
		!slices.ContainsFunc(c.Levels, func(l LevelConfig) bool { return l.Name == "catch-all" }) {
		return bad("the mandatory levels exempt and catch-all must be configured")
	}
	for i, s := range c.Schemas {
		if s.Name == "" {
			return bad("schema %d has no name", i)
		}
		if slices.ContainsFunc(c.Schemas[:i], func(o FlowSchema) bool { return o.Name == s.Name }) {
			return bad("schema %q appears twice", s.Name)
		}
		if !slices.ContainsFunc(c.Levels, func(l LevelConfig) bool { return l.Name == s.Level }) {
			return bad("schema %q refers to unknown level %q", s.Name, s.Level)
		}
		if s.MatchingPrecedence < 1 || s.MatchingPrecedence > 10000 {
			return bad("schema %q: matching precedence %d not in [1, 10000]", s.Name, s.MatchingPrecedence)
		}
	}
	if !slices.ContainsFunc(c.Schemas, func(s FlowSchema) bool { return s.Name == "catch-all" }) {
		return bad("the mandatory flow schema catch-all must be configured")
	}
	return nil
}

// String prints the effective configuration, one line per level and per
// schema, so that a report can show what ran.
func (c *Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server concurrency %d, request timeout %v (max wait %v), G %v, max seats %d%% of nominal, work %+v\n",
		c.ServerConcurrencyLimit, c.RequestTimeout, c.MaxWaitLimit, c.EstimatedServiceDuration, c.MaxSeatsPercent, c.Work)
	for _, l := range c.Levels {
		fmt.Fprintf(&b, "level %s: %s shares=%d lendable=%d%%", l.Name, l.Type, l.NominalConcurrencyShares, l.LendablePercent)
		if l.Type == Queuing {
			fmt.Fprintf(&b, " queues=%d hand=%d qll=%d", l.Queues, l.HandSize, l.QueueLengthLimit)
		}
		b.WriteByte('\n')
	}
	for _, s := range c.Schemas {
		fmt.Fprintf(&b, "schema %s: precedence=%d level=%s distinguisher=%s rules=%d\n", s.Name, s.MatchingPrecedence, s.Level, s.Distinguisher, len(s.Rules))
	}
	return b.String()
}

// maxHashBits bounds the hash bits shuffle sharding may consume
// (shufflesharding.go: MaxHashBits = 60).
const maxHashBits = 60

// requiredEntropyBits is shufflesharding.RequiredEntropyBits.
func requiredEntropyBits(deckSize, handSize int) int {
	return int(math.Ceil(math.Log2(float64(deckSize)) * float64(handSize)))
}
