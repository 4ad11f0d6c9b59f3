package analysis

import (
	"testing"
	"time"
)

// A second's requests land in its bucket; past the bucket limit the
// width doubles and no request is lost.
func TestLoadBucketsStayBounded(t *testing.T) {
	var l Load
	l.add(0)
	l.add(500 * time.Millisecond)
	l.add(2 * time.Second)
	if l.Width != time.Second || len(l.Counts) != 3 || l.Counts[0] != 2 || l.Counts[2] != 1 || l.PerSecond(0) != 2 {
		t.Fatalf("%+v", l)
	}
	for s := 3; s < 3*maxLoadBuckets; s++ {
		l.add(time.Duration(s) * time.Second)
	}
	total := 0
	for _, c := range l.Counts {
		total += c
	}
	if len(l.Counts) > maxLoadBuckets || l.Width != 4*time.Second || total != 3*maxLoadBuckets {
		t.Fatalf("width %v, %d buckets, %d requests", l.Width, len(l.Counts), total)
	}
	if l.Counts[0] != 4 || l.PerSecond(1) != 1 { // 0, 0.5, 2 and 3 s; then one a second
		t.Errorf("first buckets %v", l.Counts[:2])
	}
}
