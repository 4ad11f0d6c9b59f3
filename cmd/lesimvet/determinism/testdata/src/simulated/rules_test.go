package simulated

import (
	"testing"
	"time"
)

// Test files are not checked.
func TestAnything(t *testing.T) {
	_ = time.Now()
	go func() {}()
}
