// Package sim is orrery's discrete-event engine. It knows nothing of
// Kubernetes: it offers virtual time, an event queue, cancellable timers,
// seeded random streams, a network between named endpoints, and a recorder
// that components report into.
//
// # Contracts
//
//   - Virtual time is an integer count of nanoseconds since the start of a run
//     (Time). Nothing in sim reads the wall clock or starts a goroutine.
//   - Events run in (time, priority, sequence) order: equal-time events of
//     equal priority run in the order they were scheduled. A lower priority
//     value runs first.
//   - A Handler receives every event addressed to it through Handle; a
//     component is a state machine whose only inputs are those events.
//   - Random numbers come only from Rand streams derived from the run's root
//     seed and a stable component name, so adding a component never shifts
//     another component's draws.
//
// # What the engine leaves out
//
// The network models one-way latency, loss, partitions and ordered streams
// (with failure detection after a partition), but not bandwidth, congestion
// or TCP retransmission timing: a message on a stalled stream is delivered
// one latency after the partition heals.
package sim
