package client_test

import (
	"testing"
	"time"

	"github.com/orrery-sim/orrery/internal/apitest"
	"github.com/orrery-sim/orrery/model/api"
	"github.com/orrery-sim/orrery/model/client"
	"github.com/orrery-sim/orrery/sim"
)

// watcherHost is an endpoint owning one reflector.
type watcherHost struct {
	c *client.Client
	r *client.Reflector
}

func (h *watcherHost) Handle(ev *sim.Event) {
	if ev.Kind == api.KindResponse {
		ev.Data.(*api.Request).Via.HandleResponse(ev)
		return
	}
	h.r.HandleStream(ev)
}

type countStore struct{ replaced, applied int }

func (s *countStore) Replace([]api.Object)     { s.replaced++ }
func (s *countStore) Apply(ev *api.WatchEvent) { s.applied++ }

// TestBookmarksLetAQuietWatchResume: a reflector watching a namespace where
// nothing changes, while another namespace's ConfigMap changes 20 times a
// second, for 20 minutes. Each watch times out after 5–10 minutes and the
// reflector watches again from its resource version. Without bookmarks that
// is still its list's, long gone from the watch cache's history (about 100s
// at this rate): 410 Gone, and it relists. With bookmarks its version
// follows the cache's, and the next watch simply resumes.
func TestBookmarksLetAQuietWatchResume(t *testing.T) {
	for _, tc := range []struct {
		bookmarks bool
		relists   int64 // beyond the first list
	}{{true, 0}, {false, 3}} {
		r := apitest.New(1, apitest.Latencies{Network: time.Millisecond, Service: time.Millisecond, Commit: 5 * time.Millisecond, Read: time.Millisecond}, "writer")
		for id := range int32(2) {
			r.Seed(api.Object{Resource: api.ConfigMaps, ID: id, Size: 100, Namespace: api.NamespaceID(1 + id)})
		}
		h := &watcherHost{}
		self := r.Net.AddEndpoint("watcher", h)
		h.c = client.New(r.Eng, r.Net, r.Shared, self, r.Srv.Endpoint(), client.Config{QPS: -1})
		st := &countStore{}
		h.r = client.NewReflector(h.c, r.Net, r.Eng.Rand("reflector"), r.Rec, api.ConfigMaps, -1, st)
		h.r.Namespace = 2
		h.r.AllowBookmarks = tc.bookmarks
		h.r.Expired = r.Rec.Counter("expired")
		h.r.Start()
		const end = 20 * time.Minute
		for i := time.Duration(0); i < end; i += 50 * time.Millisecond {
			r.Write(time.Second+i, api.Update, 0, 100)
		}
		r.Run(t, end)
		relists := r.Rec.Counter("reflector_relists_total", "resource", "configmaps").Value
		expired := r.Rec.Counter("expired").Value
		if relists != tc.relists || expired != tc.relists {
			t.Errorf("bookmarks %v: %d relists after %d 410s, want %d", tc.bookmarks, relists, expired, tc.relists)
		}
		if st.applied != 0 || int64(st.replaced) != 1+tc.relists {
			t.Errorf("bookmarks %v: store applied %d events, replaced %d times", tc.bookmarks, st.applied, st.replaced)
		}
		if b := r.Rec.Counter("apiserver_watch_bookmarks_sent_total").Value; (b > 0) != tc.bookmarks {
			t.Errorf("bookmarks %v: %d sent", tc.bookmarks, b)
		}
	}
}
