package api

// ObjectTable holds the latest version of each object of one resource,
// indexed by ID: storage's state, the API server's cache and an informer's
// store all have this shape.
type ObjectTable struct {
	objs []Object
	ok   []bool
}

// Get returns the object with the given ID, if present.
func (t *ObjectTable) Get(id int32) (Object, bool) {
	if o := t.At(id); o != nil {
		return *o, true
	}
	return Object{}, false
}

// At is the stored object with the given ID, nil if absent: the table's
// own copy, for reading until the table next changes. It spares a scan
// the copy of every object it passes.
func (t *ObjectTable) At(id int32) *Object {
	if id >= 0 && int(id) < len(t.ok) && t.ok[id] {
		return &t.objs[id]
	}
	return nil
}

// Set stores o under o.ID.
func (t *ObjectTable) Set(o Object) {
	for int(o.ID) >= len(t.objs) {
		t.objs = append(t.objs, Object{})
		t.ok = append(t.ok, false)
	}
	t.objs[o.ID], t.ok[o.ID] = o, true
}

// Delete removes the object with the given ID.
func (t *ObjectTable) Delete(id int32) {
	if id >= 0 && int(id) < len(t.ok) {
		t.ok[id] = false
	}
}

// Clear removes every object.
func (t *ObjectTable) Clear() { clear(t.ok) }

// IDs is one past the highest ID ever stored: iterate 0..IDs()-1 with Get.
func (t *ObjectTable) IDs() int32 { return int32(len(t.ok)) }

// WatchEventSlab hands out watch events carved from slabs: one allocation
// per slab instead of one per event. Receivers share an event read-only; a
// slab lives until the last of its events is dropped.
type WatchEventSlab struct{ free []WatchEvent }

const watchEventSlab = 1024

// New returns a fresh event.
func (s *WatchEventSlab) New() *WatchEvent {
	if len(s.free) == 0 {
		s.free = make([]WatchEvent, watchEventSlab)
	}
	we := &s.free[0]
	s.free = s.free[1:]
	return we
}
