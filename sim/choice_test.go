package sim

import (
	"testing"
	"time"
)

// fixedChooser always returns v.
type fixedChooser int64

func (f fixedChooser) Choose(*Choice) int64 { return int64(f) }

// TestChooseClamps: a chooser's value is clamped into the choice's bounds;
// no chooser keeps the draw.
func TestChooseClamps(t *testing.T) {
	c := Choice{Lo: 10, Hi: 20, Drawn: 15}
	for _, x := range []struct {
		ch   Chooser
		want int64
	}{{nil, 15}, {fixedChooser(5), 10}, {fixedChooser(25), 20}, {fixedChooser(12), 12}} {
		if got := Choose(x.ch, &c); got != x.want {
			t.Errorf("Choose(%v) = %d, want %d", x.ch, got, x.want)
		}
	}
}

// TestRecorderPinsReplay: pins of a recording replay it; a pin names one
// choice by (kind, subject, ordinal) and leaves every other to its draw;
// Chain hands the first chooser's value on as the draw.
func TestRecorderPinsReplay(t *testing.T) {
	choices := []Choice{
		{Kind: ChoiceJitter, Subject: "a", Lo: 0, Hi: 100, Drawn: 1},
		{Kind: ChoiceJitter, Subject: "b", Lo: 0, Hi: 100, Drawn: 2},
		{Kind: ChoiceJitter, Subject: "a", Lo: 0, Hi: 100, Drawn: 3},
		{Kind: ChoiceResponse, Subject: "a", Lo: 0, Hi: 100, Drawn: 4},
	}
	rec := &Recorder{Next: fixedChooser(50)}
	for i := range choices {
		rec.Choose(&choices[i])
	}
	want := []ChoiceKey{{ChoiceJitter, "a", 0}, {ChoiceJitter, "b", 0}, {ChoiceJitter, "a", 1}, {ChoiceResponse, "a", 0}}
	for i, m := range rec.Made {
		if m.Key != want[i] || m.Value != 50 {
			t.Errorf("made[%d] = %v %d, want %v 50", i, m.Key, m.Value, want[i])
		}
	}
	pins := NewPins(map[ChoiceKey]int64{{ChoiceJitter, "a", 1}: 77})
	var got []int64
	for i := range choices {
		got = append(got, pins.Choose(&choices[i]))
	}
	if got[0] != 1 || got[1] != 2 || got[2] != 77 || got[3] != 4 {
		t.Errorf("pins gave %v, want [1 2 77 4]", got)
	}
	var seen int64
	ch := Chain(fixedChooser(30), chooserFunc(func(c *Choice) int64 { seen = c.Drawn; return c.Drawn + 1 }))
	if v := ch.Choose(&Choice{Lo: 0, Hi: 100, Drawn: 9}); v != 31 || seen != 30 {
		t.Errorf("chain gave %d (saw draw %d), want 31 (30)", v, seen)
	}
	s := New(1)
	if d := ChooseDuration(fixedChooser(int64(time.Hour)), s, nil, ChoiceRequest, "a", time.Second, 0, 2*time.Second); d != 2*time.Second {
		t.Errorf("ChooseDuration = %v, want the upper bound 2s", d)
	}
}

type chooserFunc func(*Choice) int64

func (f chooserFunc) Choose(c *Choice) int64 { return f(c) }

// TestChoiceKindNames: every kind has a name that parses back.
func TestChoiceKindNames(t *testing.T) {
	for k := ChoiceKind(1); k < choiceKinds; k++ {
		if got, ok := ParseChoiceKind(k.String()); !ok || got != k {
			t.Errorf("%v does not parse back", k)
		}
	}
	if _, ok := ParseChoiceKind("latency"); ok {
		t.Error("an unknown kind parsed")
	}
}
