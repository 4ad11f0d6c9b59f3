// Package outside is not simulated: nothing is checked, and an escape
// here would mean nothing.
package outside

import "time"

func realTime() {
	_ = time.Now()
	go func() {}()
	time.Sleep(time.Millisecond) //lesim:allow wallclock: pointless here // want `lesim:allow in outside, which is not a simulated package`
}
