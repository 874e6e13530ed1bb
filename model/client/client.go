package client

import (
	"time"

	"golang.org/x/time/rate"

	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/sim"
)

// Config is a client's rate limit and timeout, as in client-go's rest.Config.
type Config struct {
	// QPS and Burst set the token bucket; QPS < 0 disables throttling.
	QPS   float64
	Burst int
	// Timeout bounds each request from the moment it leaves the client (0: none).
	Timeout time.Duration
	// Principal is who the client authenticates as.
	Principal api.PrincipalID
	// Balancer, if set, picks the API server replica each connection goes
	// to; otherwise every request goes to the server given to New.
	Balancer *Balancer
	// NoJitter turns off client-go's randomised waits, for comparison
	// runs only: the reflector's relist backoff is not jittered (wait.Backoff
	// Jitter 0 instead of 1.0) and every watch asks for exactly the minimum
	// timeout (5m instead of rand[1,2) × 5m). The owner's own jittered
	// waits read it too (see Jittered).
	NoJitter bool
}

// Balancer is the load balancer in front of the API server replicas, as
// seen by clients: each new connection goes to the next healthy replica in
// round-robin order. A client keeps its connection (HTTP/2: every request
// and watch on it) until the connection breaks, so load spreads only as
// connections are made. The health check is taken as instant: a replica
// is out of rotation from the moment it stops.
type Balancer struct {
	servers []sim.EndpointID
	healthy []bool
	next    int
}

// NewBalancer returns a balancer over the given replicas, all healthy.
func NewBalancer(servers []sim.EndpointID) *Balancer {
	b := &Balancer{servers: servers, healthy: make([]bool, len(servers))}
	for i := range b.healthy {
		b.healthy[i] = true
	}
	return b
}

// SetHealthy puts replica i in or out of rotation.
func (b *Balancer) SetHealthy(i int, ok bool) { b.healthy[i] = ok }

// Pick returns the replica for a new connection. With none healthy it
// still returns one (the connection will be refused).
func (b *Balancer) Pick() sim.EndpointID {
	n := len(b.servers)
	for k := 0; k < n; k++ {
		i := (b.next + k) % n
		if b.healthy[i] {
			b.next = i + 1
			return b.servers[i]
		}
	}
	i := b.next % n
	b.next = i + 1
	return b.servers[i]
}

// maxRetries is how often client-go retries a response that carries
// Retry-After (k8s.io/client-go/rest/request.go: maxRetries 10).
const maxRetries = 10

const (
	kindSend int32 = api.KindPrivate + iota
	kindTimeout
	kindRetry
)

// epoch is virtual time zero on the wall-clock axis x/time/rate wants. It
// is a fixed date, not a reading of the clock.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func wallOf(t sim.Time) time.Time { return epoch.Add(time.Duration(t)) }

// Client sends API requests from its owner's endpoint to the API server.
type Client struct {
	eng     *sim.Engine
	net     *sim.Network
	self    sim.EndpointID
	server  sim.EndpointID
	lb      *Balancer
	conn    bool // connected to server (with a balancer)
	cfg     Config
	limiter *rate.Limiter

	timeouts *sim.DeadlineQueue
	nextID   uint64
	epoch    uint32             // bumped by Stop: everything older is abandoned
	pool     *requestPool       // the Shared's
	Throttle *sim.LatencySeries // time spent waiting for a token
	latency  *api.LatencyByRequest
	sh       *Shared
}

// Shared holds what the clients built with it share: the recorder's
// series, and a pool of blank requests (memory only: a request is pooled
// once its client is done with it).
type Shared struct {
	rec     *sim.Recorder
	latency *api.LatencyByRequest
	// unwatched counts the running reflectors that have no watch: from a
	// cold start or a lost watch until their next watch is established.
	// The gauge is its own count, so that every Shared of a recorder keeps
	// the same one.
	unwatched *sim.Gauge
	pool      requestPool
}

// requestPool is a stack of requests to reuse. Shared by many clients, it
// hands out the request released last, still in the CPU's cache; a pool
// per client handed each of 5000 kubelets its own request back ten seconds
// later, long evicted (a twentieth of the kubelets' time in nodes-5000).
type requestPool struct{ free []*api.Request }

// NewShared returns the shared client state for rec.
func NewShared(rec *sim.Recorder) *Shared {
	return &Shared{rec: rec, latency: api.NewLatencyByRequest(rec, "rest_client_request_duration_seconds"),
		unwatched: rec.Gauge(UnwatchedGauge)}
}

// UnwatchedGauge names the gauge of reflectors without a watch.
const UnwatchedGauge = "reflectors_without_watch"

// New returns a client sending from self to server.
func New(eng *sim.Engine, net *sim.Network, sh *Shared, self, server sim.EndpointID, cfg Config) *Client {
	c := &Client{eng: eng, net: net, self: self, server: server, lb: cfg.Balancer, cfg: cfg, latency: sh.latency, sh: sh, pool: &sh.pool,
		Throttle: sh.rec.Latency("rest_client_rate_limiter_duration_seconds")}
	// A request with no timeout still fails when its connection dies:
	// client-go's HTTP/2 health check (ReadIdleTimeout 30s + PingTimeout 15s,
	// k8s.io/client-go/transport) closes a connection whose peer stopped
	// answering, failing what was in flight on it. The model has no plain
	// request that legitimately runs that long, so an unanswered request
	// fails after the network's failure-detection time.
	deadline := cfg.Timeout
	if deadline <= 0 {
		deadline = net.FailureDetection()
	}
	c.timeouts = eng.DeadlineQueue(deadline)
	if cfg.QPS > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.QPS), cfg.Burst)
		// client-go's limiter starts full (flowcontrol.NewTokenBucketRateLimiter).
	}
	return c
}

// Endpoint is the client's (its owner's) endpoint.
func (c *Client) Endpoint() sim.EndpointID { return c.self }

// Jittered reports whether the client's owner jitters its waits
// (Config.NoJitter unset).
func (c *Client) Jittered() bool { return !c.cfg.NoJitter }

// NewRequest returns a blank request from the pool.
func (c *Client) NewRequest(verb api.Verb, res api.Resource, name int32) *api.Request {
	var req *api.Request
	if n := len(c.pool.free); n > 0 {
		req = c.pool.free[n-1]
		c.pool.free = c.pool.free[:n-1]
		*req = api.Request{}
	} else {
		req = &api.Request{}
	}
	c.nextID++
	req.ID, req.Verb, req.Resource, req.Name, req.Principal = c.nextID, verb, res, name, c.cfg.Principal
	return req
}

// Release returns a completed request to the pool. Abandoned requests are
// left to the garbage collector: the server may still hold them.
func (c *Client) Release(req *api.Request) {
	if !req.Abandoned {
		req.Items = nil
		c.pool.free = append(c.pool.free, req)
	}
}

// Do sends req, throttled by the token bucket; caller.OnResponse runs when it
// completes, fails, or times out.
func (c *Client) Do(req *api.Request, caller api.Responder) {
	req.Caller, req.Via, req.From = caller, c, c.self
	req.Sent = c.eng.Now()
	req.Pending, req.ClientEpoch = true, c.epoch
	c.throttleThenSend(req)
}

func (c *Client) throttleThenSend(req *api.Request) {
	if c.limiter != nil {
		now := wallOf(c.eng.Now())
		delay := c.limiter.ReserveN(now, 1).DelayFrom(now)
		c.Throttle.Observe(delay)
		if delay > 0 {
			c.eng.Schedule(sim.Event{At: c.eng.Now().Add(delay), Target: c, Kind: kindSend, A: int64(req.ID), Data: req, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
			return
		}
	}
	c.send(req)
}

func (c *Client) send(req *api.Request) {
	c.Connect()
	req.OnWire = c.eng.Now()
	c.net.Send(c.self, c.server, api.KindRequest, 0, 0, req)
	c.timeouts.Add(c, kindTimeout, int64(req.ID), req)
}

func (c *Client) live(req *api.Request, id int64) bool {
	// Via: a pooled request may since have been sent by another client of
	// the same Shared, whose IDs are its own.
	return req.ID == uint64(id) && req.Via == c && req.Pending && !req.Abandoned && req.ClientEpoch == c.epoch
}

// Live tells the timeout queue whether a request still waits (sim.Expirer).
func (c *Client) Live(_ int32, a int64, data any) bool { return c.live(data.(*api.Request), a) }

// Handle runs the client's own timers: delayed sends and timeouts.
func (c *Client) Handle(ev *sim.Event) {
	req := ev.Data.(*api.Request)
	if !c.live(req, ev.A) {
		return
	}
	switch ev.Kind {
	case kindSend:
		c.send(req)
	case kindRetry:
		c.throttleThenSend(req)
	case kindTimeout:
		req.Abandoned = true
		c.complete(req, api.ClientTimeout)
	}
}

// HandleResponse takes a response off the network (api.Transport).
func (c *Client) HandleResponse(ev *sim.Event) {
	req := ev.Data.(*api.Request)
	if !c.live(req, int64(req.ID)) {
		return
	}
	if req.Code == api.ConnectionReset || req.Code == api.ConnectionRefused {
		c.ConnectionLost()
	}
	if req.Code == api.TooManyRequests && req.RetryAfter > 0 && req.Retries < maxRetries {
		// client-go sleeps Retry-After, then retries through the limiter again.
		req.Retries++
		req.ID = c.bumpID()
		c.eng.Schedule(sim.Event{At: c.eng.Now().Add(req.RetryAfter), Target: c, Kind: kindRetry, A: int64(req.ID), Data: req, From: sim.NoEndpoint, To: sim.NoEndpoint, Stream: sim.NoStream})
		return
	}
	c.complete(req, req.Code)
}

// ConnectionLost drops the client's connection: the next request makes a
// new one, through the balancer.
func (c *Client) ConnectionLost() { c.conn = false }

// Connect makes sure the client has a connection and returns the replica
// it goes to.
func (c *Client) Connect() sim.EndpointID {
	if c.lb != nil && !c.conn {
		c.server, c.conn = c.lb.Pick(), true
	}
	return c.server
}

// bumpID gives a retried request a new ID, so that the first attempt's
// timeout cannot fire on the retry.
func (c *Client) bumpID() uint64 {
	c.nextID++
	return c.nextID
}

func (c *Client) complete(req *api.Request, code api.Code) {
	req.Pending = false
	req.Code = code
	c.latency.Get(req.Verb, req.Resource).Observe(c.eng.Now().Sub(req.Sent))
	req.Caller.OnResponse(req)
}

// Stop abandons every outstanding request without telling their callers:
// the owning process has stopped.
func (c *Client) Stop() {
	c.epoch++
	c.conn = false
	if c.limiter != nil {
		// A restarted process gets a fresh, full bucket.
		c.limiter = rate.NewLimiter(c.limiter.Limit(), c.limiter.Burst())
	}
}
