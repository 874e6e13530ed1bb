package mvcc

import (
	"bytes"
	"errors"
	"testing"

	"github.com/orrery-sim/orrery/model/api"
)

var sampleCommands = []Command{
	{Op: CmdTxn, ID: 1, Key: KeyOf(api.Leases, 7), CompareModRev: NoCompare, Then: TxnPut,
		Value: api.Object{Resource: api.Leases, ID: 7, Size: 300, ResourceVersion: 12, RenewTime: 5e9}},
	{Op: CmdTxn, ID: 2, Key: KeyOf(api.Nodes, 1<<30), CompareModRev: 0, Then: TxnPut,
		Value: api.Object{Resource: api.Nodes, ID: 1 << 30, Size: 1 << 30, Ready: api.ConditionFalse, HeartbeatTime: -1, LastTransitionTime: 1 << 62}},
	{Op: CmdTxn, ID: 3, Key: KeyOf(api.ConfigMaps, 9), CompareModRev: 4, Then: TxnPut,
		Value: api.Object{Resource: api.ConfigMaps, ID: 9, Size: 100, Label: 0xfffe, Namespace: 1 << 30}},
	{Op: CmdTxn, ID: ^uint64(0), Key: CompactRevKey, CompareModRev: 1 << 40, Then: TxnDelete},
	{Op: CmdCompact, ID: 4, Revision: 123456789},
	{Op: CmdAlarmActivate, ID: 5, Member: 0xdeadbeef},
	{Op: CmdAlarmDeactivate, ID: 6, Member: 1},
}

func TestCommandRoundTrip(t *testing.T) {
	for _, c := range sampleCommands {
		b := c.AppendTo(nil)
		if len(b) != c.EncodedLen() {
			t.Errorf("%v: %d bytes, EncodedLen %d", c.Op, len(b), c.EncodedLen())
		}
		var d Command
		if err := DecodeCommand(b, &d); err != nil {
			t.Fatalf("%v: %v", c.Op, err)
		}
		if d != c {
			t.Errorf("round trip:\n got %+v\nwant %+v", d, c)
		}
		// Appending to a non-empty buffer.
		if b2 := c.AppendTo([]byte("xy")); !bytes.Equal(b2[2:], b) {
			t.Errorf("%v: AppendTo ignores its prefix", c.Op)
		}
		// Every truncation and extension is rejected, leaving the target zeroed.
		for n := range len(b) {
			d = c
			if err := DecodeCommand(b[:n], &d); !errors.Is(err, ErrInvalidCommand) || d != (Command{}) {
				t.Errorf("%v truncated to %d: %v %+v", c.Op, n, err, d)
			}
		}
		if err := DecodeCommand(append(b, 0), &d); err == nil {
			t.Errorf("%v with a trailing byte decoded", c.Op)
		}
	}
}

func TestDecodeCommandRejects(t *testing.T) {
	good := sampleCommands[0].AppendTo(nil)
	mutate := func(i int, v byte) []byte {
		b := append([]byte{}, good...)
		b[i] = v
		return b
	}
	for name, b := range map[string][]byte{
		"version":  mutate(0, 2),
		"op 0":     mutate(1, 0),
		"op 9":     mutate(1, 9),
		"then 0":   mutate(headerBytes+16, 0),
		"then 3":   mutate(headerBytes+16, 3),
		"size < 0": mutate(headerBytes+17+8, 0x80),
		"ready 3":  mutate(headerBytes+17+25, 3),
	} {
		var c Command
		if err := DecodeCommand(b, &c); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("%s: decoded %+v", name, c)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		var c Command
		_ = DecodeCommand(good, &c)
	}); n != 0 {
		t.Errorf("DecodeCommand allocates %v times", n)
	}
}

// FuzzDecodeCommand: DecodeCommand never panics, and whatever it accepts
// re-encodes to exactly the same bytes (the encoding is canonical).
func FuzzDecodeCommand(f *testing.F) {
	for _, c := range sampleCommands {
		f.Add(c.AppendTo(nil))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Command
		if err := DecodeCommand(b, &c); err != nil {
			if c != (Command{}) {
				t.Fatalf("error %v left %+v", err, c)
			}
			return
		}
		if got := c.AppendTo(nil); !bytes.Equal(got, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, got)
		}
		// An accepted command applies without panicking.
		s := NewStore(Config{QuotaBytes: 1 << 20})
		s.Apply(&c)
		if err := s.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}

// A write's typed body survives Raft: the encoding carries its handle,
// and the handle gives back the very body put.
func TestBodyTravelsAsAHandle(t *testing.T) {
	var bodies Bodies
	type pod struct{ name string }
	body := &pod{"web-0"}
	c := Command{Op: CmdTxn, ID: 7, Key: 3, CompareModRev: NoCompare, Then: TxnPut, Value: api.Object{Size: 10, Body: body}}
	c.Body = bodies.Put(c.Value.Body)
	var got Command
	if err := DecodeCommand(c.AppendTo(nil), &got); err != nil {
		t.Fatal(err)
	}
	if got.Value.Body != nil || got.Body != c.Body || c.Body == 0 {
		t.Fatalf("decoded handle %d (want %d, non-zero), body %v (want nil until looked up)", got.Body, c.Body, got.Value.Body)
	}
	if b := bodies.Get(got.Body); b != any(body) {
		t.Fatalf("body %v, want %v", b, body)
	}
	if bodies.Put(nil) != 0 || bodies.Get(0) != nil {
		t.Fatal("a nil body must be handle 0")
	}
	// Past the retention, the handle's slot holds another body: Get
	// refuses it.
	for range BodyRetention {
		bodies.Put(&pod{})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an evicted handle was answered")
		}
	}()
	bodies.Get(got.Body)
}
