package elector

import (
	"context"

	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
)

// identityLock is a client-go resourcelock.Interface that only answers
// Identity, for exercising client-go's constructor.
type identityLock struct{ id string }

func (l *identityLock) Get(context.Context) (*rl.LeaderElectionRecord, []byte, error) {
	return nil, nil, nil
}
func (l *identityLock) Create(context.Context, rl.LeaderElectionRecord) error { return nil }
func (l *identityLock) Update(context.Context, rl.LeaderElectionRecord) error { return nil }
func (l *identityLock) RecordEvent(string)                                    {}
func (l *identityLock) Identity() string                                      { return l.id }
func (l *identityLock) Describe() string                                      { return "ns/name" }

func nopStarted(context.Context) {}
