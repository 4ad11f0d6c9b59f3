package fakeapi

// SetPoisonRecycled turns poisoning of recycled leases on or off and
// returns how many leases have been recycled so far.
func SetPoisonRecycled(on bool) uint64 {
	poisonRecycled.Store(on)
	return recycled.Load()
}
