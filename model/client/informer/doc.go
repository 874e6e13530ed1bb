// Package informer models client-go's SharedIndexInformer
// (k8s.io/client-go/tools/cache: shared_informer.go, controller.go,
// delta_fifo.go, store.go) on virtual time, as a library that a simulated
// component owns next to its client.Client.
//
// # What it models
//
// An Informer watches one resource, optionally one object of it (a
// metadata.name field selector), through a client.Reflector it owns. It
// keeps the local cache (the indexer: objects by ID in an api.ObjectTable,
// never a map) and turns each change into notifications for the handlers
// registered on it, as upstream's processDeltas and sharedIndexInformer do:
//
//   - A list (Replace) is a Replaced delta per listed object, in list order,
//     then a Deleted delta for each cached object the list no longer holds,
//     in ID order (upstream: knownObjects.ListKeys order, i.e. map order).
//   - An Added, Replaced, Updated or Sync delta of a cached object updates the
//     cache and notifies OnUpdate(old, new); of an unknown object it adds it
//     and notifies OnAdd(obj, isInInitialList). isInInitialList is true for
//     the objects of the first list only (DeltaFIFO's initialPopulationCount).
//   - A Deleted watch event of a cached object removes it and notifies
//     OnDelete with the event's object; of an unknown object it is dropped
//     (DeltaFIFO.Delete: "Don't provide a second report of the same
//     deletion").
//   - An update whose old and new resourceVersion are equal is a sync
//     (sharedIndexInformer.OnUpdate): it goes only to the listeners that are
//     currently resyncing (sharedProcessor.distribute). Every listener starts
//     out in that set (addListener stores true), so before the first resync
//     check an unchanged object in a relist reaches every handler.
//
// Each handler gets its own processorListener: an unbounded FIFO buffer of
// notifications (upstream's buffer.RingGrowing) drained in order by one
// sequential consumer. Upstream's "pull" side never drops a notification; a
// slow handler only builds lag. The model gives each handler an optional
// handling time (a sim.Dist drawn per notification): the listener is busy
// for that long and calls the handler when it ends, so a handler slower than
// the event rate builds a backlog. Registration.Pending and Registration.Lag
// expose the backlog and the age of its oldest notification; the recorder
// gets informer_handler_pending (gauge), informer_handler_lag_seconds (time
// from distribution to the handler call, one sample per notification) and
// informer_handler_notifications_total, labelled informer=, handler=. With
// no handling time a handler is called synchronously when its buffer is
// empty, so notifications reach it at the instant the cache changes.
//
// Resync follows resyncCheckPeriod semantics. The informer's ResyncPeriod is
// the default handler resync period and the initial resync check period. A
// handler's requested period is raised to MinimumResyncPeriod (1s); a period
// shorter than the check period lowers the check period if the informer has
// not started, and is raised to the check period if it has; with a check
// period of 0 no handler resyncs (determineResyncPeriod). Every check period
// after each successful list (the reflector's resync timer restarts with each
// ListAndWatch) the informer runs shouldResync: each listener whose
// nextResync is due joins the resyncing set and gets nextResync = now +
// period; the others leave it. If any is due, every cached object, in ID
// order, is delivered as OnUpdate(obj, obj) to the resyncing listeners
// (DeltaFIFO.Resync, Sync deltas). kube-controller-manager's informer factory
// uses KCMResyncPeriod: 12h × rand[1,2).
//
// HasSynced is upstream's: true once the first list has been processed,
// and still true after the watch breaks. Registration.HasSynced is the
// per-handler one (synctrack.SingleFileTracker): the informer has synced and
// the handler has been called for every initial-list OnAdd queued to it.
// A handler added after the informer started gets an OnAdd for every cached
// object, with isInInitialList true, as upstream.
//
// # How an owner drives it
//
// The owner builds the informer with its own client and a random stream of
// its own, registers handlers, and calls Start (list, then watch) or
// StartRunning (an informer that was synced before time 0, on an open watch
// stream: the cache is filled without notifications). The owner forwards
// every stream message it receives (api.KindWatchStarted,
// api.KindWatchEvent, sim.KindStreamClosed) to HandleStream, which reports
// whether it was the informer's; its responses go through the client as
// usual. Timers (resync checks, handling times) are the informer's own.
//
// # What it leaves out
//
//   - Indexers other than the ID, transforms, the mutation detector and the
//     watch error handler.
//   - DeltaFIFO's queueing: deltas are processed the instant the reflector
//     hands them over (upstream's processLoop pops them as fast as
//     HandleDeltas returns), so no deltas coalesce there.
//   - DeletedFinalStateUnknown: a deletion found by a relist notifies
//     OnDelete with the last cached state, unwrapped.
//   - Stop models a process stop: the cache, the buffers and the sync state
//     are dropped; Start afterwards behaves like a new informer with the same
//     handlers (upstream never restarts a stopped informer; a restarted
//     process builds a new one).
//   - The resync timer stops when the watch stream breaks and restarts after
//     the next successful list; a watch request that fails before its stream
//     opens leaves it running (upstream's ListAndWatch would return).
//   - client-go exports no informer or processorListener metrics; the
//     metric names above are orrery's own.
package informer
