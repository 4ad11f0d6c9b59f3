package worstcase

import (
	"maps"
	"time"

	"github.com/lesim/lesim/sim"
)

// shrinkShare is the part of the budget kept for shrinking (at most
// shrinkMax runs).
const (
	shrinkShare = 5
	shrinkMax   = 300
)

func shrinkReserve(budget int) int { return min(shrinkMax, budget/shrinkShare) }

// shrinkSlack is how much of the value shrinking may give up for fewer
// pins: a thousandth, at most a millisecond. A pin that moves every later
// event by a microsecond is not one that matters.
func shrinkSlack(v time.Duration) time.Duration { return min(v/1000, time.Millisecond) }

// shrink removes pinned choices (those choices then take their seeded
// draws) while the schedule still reaches best's value (up to
// shrinkSlack): first every pin
// equal to its draw at once, then chunks of the rest, halving the chunk
// size down to single pins (delta debugging's complement steps). The
// result is the counterexample: its own run and value are reported.
func (s *searcher) shrink(best *candidate) (*candidate, error) {
	limit := s.runs + shrinkReserve(s.budget)
	keep := func(pins map[sim.ChoiceKey]int64) (*candidate, error) {
		c, err := s.try(pins, nil)
		if err != nil || c.m.degenerate || c.m.value < best.m.value-shrinkSlack(best.m.value) {
			return nil, err
		}
		c.pins, c.how = pins, best.how
		return c, nil
	}
	var keys []sim.ChoiceKey
	drawnOnly := make(map[sim.ChoiceKey]int64)
	for _, m := range best.made {
		if v, ok := best.pins[m.Key]; ok && v != m.Choice.Drawn {
			keys = append(keys, m.Key)
			drawnOnly[m.Key] = v
		}
	}
	cur := best
	if len(drawnOnly) < len(best.pins) {
		c, err := keep(drawnOnly)
		if err != nil {
			return nil, err
		}
		if c != nil {
			cur = c
		}
	}
	for size := len(keys) / 2; size >= 1 && s.runs < limit; size /= 2 {
		for i := 0; i < len(keys) && s.runs < limit; {
			end := min(i+size, len(keys))
			pins := maps.Clone(cur.pins)
			removed := false
			for _, k := range keys[i:end] {
				if _, ok := pins[k]; ok {
					delete(pins, k)
					removed = true
				}
			}
			if !removed {
				i = end
				continue
			}
			c, err := keep(pins)
			if err != nil {
				return nil, err
			}
			if c != nil {
				cur = c
			}
			i = end
		}
	}
	return cur, nil
}
