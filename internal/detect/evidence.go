package detect

import "time"

// Explanation says why an event fired, for the dispatcher who verifies it.
type Explanation struct {
	// Dwell is how long the object was at rest in the zone.
	Dwell time.Duration
	// Pictures counts the analysed pictures that saw the object at rest
	// during the dwell (for a gathering: the members at rest).
	Pictures int
	// Score is the median detector score over those pictures (stationary)
	// or the best member score at confirmation (gathering).
	Score float32
	// LookMatch is the lowest Look.Match between the object at the start
	// of its rest and in the pictures since (1 when no look was known).
	LookMatch float64
	// Presence is the share of the pictures analysed during the dwell
	// that saw the object (1 for a gathering).
	Presence float64
	// Gaps counts the times the object was not seen (hidden, missed by the
	// detector) and then seen again at its rest place during the dwell.
	Gaps int
	// PresentAtStart is true when the object was already there in the
	// rule's first picture: the dwell is then a lower bound.
	PresentAtStart bool
	// Count is the number of objects at rest in a count rule's group when
	// it fired (0 for other kinds).
	Count int
}

// scoreHist is a histogram of detector scores in steps of 0.01: a median
// in constant memory over a dwell of any length.
type scoreHist struct {
	bins [101]int32
	n    int32
}

func (h *scoreHist) add(s float32) {
	i := int(s*100 + 0.5)
	i = max(0, min(i, len(h.bins)-1))
	h.bins[i]++
	h.n++
}

// median returns the median score (0 when empty).
func (h *scoreHist) median() float32 {
	if h.n == 0 {
		return 0
	}
	half, acc := (h.n+1)/2, int32(0)
	for i, c := range h.bins {
		if acc += c; acc >= half {
			return float32(i) / 100
		}
	}
	return 1
}
