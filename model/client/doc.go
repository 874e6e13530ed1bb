// Package client models the client side of the Kubernetes API the way
// client-go implements it: a token-bucket rate limiter per client
// (golang.org/x/time/rate driven by virtual time), per-request timeouts,
// retries of 429 responses after Retry-After, wait.Jitter, and a reflector
// that lists, watches (with namespace and label selectors, asking for
// bookmarks, with a timeout of 5–10 minutes drawn per watch), re-watches
// from its resource version when a watch times out — a version bookmarks
// keep fresh while its own objects are quiet — and relists with backoff
// after a broken watch or a 410 Gone. Config.NoJitter takes the randomness
// out of the reflector's backoff and watch timeouts, for comparison runs;
// the shared gauge reflectors_without_watch counts reflectors between a
// lost watch (or a cold start) and their next one.
//
// A Client is not a component of its own: it lives inside the component that
// owns it (a kubelet, a controller manager), shares that component's network
// endpoint, and is stepped by the engine through its own timer events.
//
// With several API server replicas, a Balancer in front of them deals each
// new connection to the next healthy replica, round-robin (orrery's
// assumption: a plain L4 balancer whose health check notices a stopped
// replica at once). A client keeps its connection, every request and watch
// on it, until it breaks (a ConnectionReset or ConnectionRefused answer, a
// watch stream closed under it) or its process stops.
//
// Subpackages: informer models client-go's shared informer (the local
// cache and its event handlers), workqueue its work queue (dedup,
// delaying, rate limiting), for the components that own one.
//
// What the model leaves out: request bodies are not encoded; a timed-out
// request is not cancelled on the server (as with a real HTTP client, the
// server finishes it and the response is ignored); the reflector relists
// after every broken watch instead of first retrying the watch; watch-list
// (sendInitialEvents) is not modeled.
package client
