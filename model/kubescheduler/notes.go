package kubescheduler

import (
	"fmt"
	"strings"

	"github.com/orrery-sim/orrery/model/objects"
	"github.com/orrery-sim/orrery/model/scheduler"
)

// With Config.Notes, each scheduling decision is a timeline note: the
// chosen node and every feasible node's score, plugin by plugin (the
// normalised score times the plugin's weight, when it is not 1), or the
// FitError's "0/N nodes are available: …". This is what
// kube-scheduler's verbose logs show (schedule_one.go logs each node's
// plugin scores at -v=10); it is for small clusters (spec.trace), where each note is
// short and the decisions few.

// noteDecision notes a successful scheduling cycle.
func (r *Replica) noteDecision(p *objects.Pod, res scheduler.Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s", r.podName(p), r.nodeName(res.Node))
	if len(res.Scores) == 0 {
		fmt.Fprintf(&b, " (the only feasible node of %d: not scored)", res.EvaluatedNodes)
	} else {
		fmt.Fprintf(&b, " (%d feasible of %d):", res.FeasibleNodes, res.EvaluatedNodes)
		for i, ns := range res.Scores {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s %d =", r.nodeName(ns.Node), ns.Total)
			first := true
			for _, pl := range scheduler.ScorePlugins {
				if !res.Scored(pl) {
					continue
				}
				if !first {
					b.WriteString(" +")
				}
				first = false
				fmt.Fprintf(&b, " %s %d", pl, ns.Normalized[pl])
				if w := res.Weights[pl]; w != 1 {
					fmt.Fprintf(&b, "×%d", w)
				}
			}
		}
		if res.Ties > 1 {
			fmt.Fprintf(&b, "; %d nodes tied, one drawn at random", res.Ties)
		}
	}
	r.rec.Note(r.eng.Now(), r.s.cfg.Name, b.String())
}

// noteFailure notes a failed scheduling cycle.
func (r *Replica) noteFailure(p *objects.Pod, msg string) {
	r.rec.Note(r.eng.Now(), r.s.cfg.Name, fmt.Sprintf("%s not scheduled: %s", r.podName(p), msg))
}

// podName is "pod/<name>", or "pod #<ID>" for a generated name, with
// the namespace when it is not "default".
func (r *Replica) podName(p *objects.Pod) string {
	in := r.s.cfg.Interner
	name := fmt.Sprintf("pod #%d", p.ID)
	if p.Name != objects.None {
		name = "pod/" + in.String(p.Name)
	}
	if ns := in.String(p.Namespace); ns != "default" && ns != "" {
		name += " in " + ns
	}
	return name
}

func (r *Replica) nodeName(id int32) string {
	if ni := r.snap.NodeInfo(id); ni != nil && ni.Node != nil {
		return r.s.cfg.Interner.String(ni.Node.Name)
	}
	return fmt.Sprintf("node #%d", id)
}
