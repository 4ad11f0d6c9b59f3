package scenarios

import (
	"reflect"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The identity of the file format. Both must be written in every file so that
// a scenario is never mistaken for some other YAML a user has lying around.
const (
	APIVersion = "lesim.dev/v1alpha1"
	Kind       = "Scenario"
)

// DescriptionAnnotation is the metadata annotation that holds a scenario's
// one-sentence description: what it demonstrates. An annotation rather than
// a spec field because it does not change what the simulation does.
const DescriptionAnnotation = "lesim.dev/description"

// Scenario is one simulation input: who runs, on which clocks, against which
// API behaviour, with which faults, for how long, from which seed.
//
// Optional fields are pointers (or zero-valued structs) so that "absent"
// stays distinguishable from an explicit zero: an absent leaseDuration means
// the default, an explicit 0s is an error; an absent node override inherits
// the spec-level value, an explicit one replaces it.
type Scenario struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        ObjectMeta `json:"metadata"`
	Spec            Spec       `json:"spec"`
}

// ObjectMeta is the subset of Kubernetes object metadata a scenario uses.
// Its own type rather than metav1.ObjectMeta so that the dozen server-side
// fields of the latter (uid, resourceVersion, managedFields, ...) are not
// accepted in files where they could only mislead.
type ObjectMeta struct {
	Name        string            `json:"name,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is the scenario proper.
type Spec struct {
	Seed     *uint64          `json:"seed,omitempty"`
	Duration *metav1.Duration `json:"duration,omitempty"`
	Elector  Elector          `json:"elector,omitzero"`
	Client   Client           `json:"client,omitzero"`
	API      API              `json:"api,omitzero"`
	Restart  Restart          `json:"restart,omitzero"`
	Nodes    []Node           `json:"nodes,omitempty"`
	Faults   []Fault          `json:"faults,omitempty"`
	Workload *Workload        `json:"workload,omitempty"`
	Expect   Expect           `json:"expect,omitzero"`
	Choices  []PinnedChoice   `json:"choices,omitempty"`
}

// Variant selects which release of the client-go elector is simulated.
type Variant string

const (
	// VariantSeed behaves as client-go v0.30.0.
	VariantSeed Variant = "seed"
	// VariantV037 behaves as client-go v0.37.2.
	VariantV037 Variant = "v0.37"
)

// Variants lists the supported variants.
func Variants() []Variant { return []Variant{VariantSeed, VariantV037} }

// Elector is the elector configuration as written: at spec level (where
// Default fills every field) and as a per-node override (where an absent
// field inherits the spec-level value). NodeElector resolves the two.
type Elector struct {
	Variant         Variant          `json:"variant,omitempty"`
	LeaseDuration   *metav1.Duration `json:"leaseDuration,omitempty"`
	RenewDeadline   *metav1.Duration `json:"renewDeadline,omitempty"`
	RetryPeriod     *metav1.Duration `json:"retryPeriod,omitempty"`
	ReleaseOnCancel *bool            `json:"releaseOnCancel,omitempty"`
	Coordinated     *bool            `json:"coordinated,omitempty"`
	CallbackDelay   *metav1.Duration `json:"callbackDelay,omitempty"`
}

// ElectorConfig is a node's resolved elector configuration.
type ElectorConfig struct {
	Variant         Variant
	LeaseDuration   time.Duration
	RenewDeadline   time.Duration
	RetryPeriod     time.Duration
	ReleaseOnCancel bool
	Coordinated     bool
	// CallbackDelay is the scheduling delay of OnStartedLeading and
	// OnNewLeader, which client-go runs in goroutines.
	CallbackDelay time.Duration
}

// Client is the API client configuration.
type Client struct {
	// RequestTimeout bounds every single API call. Absent: client-go's
	// NewFromKubeconfig rule, max(1s, renewDeadline/2). 0s: no bound.
	RequestTimeout *metav1.Duration `json:"requestTimeout,omitempty"`
}

// API is the behaviour of the API server and the network to it.
type API struct {
	Latency     Latency       `json:"latency,omitzero"`
	Errors      []ErrorRule   `json:"errors,omitempty"`
	ServiceTime *Distribution `json:"serviceTime,omitempty"`
}

// Latency is a one-way delay per direction. Absent directions take no time.
type Latency struct {
	Request  *Distribution `json:"request,omitempty"`
	Response *Distribution `json:"response,omitempty"`
}

// DistributionType names a family of random durations.
type DistributionType string

const (
	DistFixed       DistributionType = "fixed"
	DistUniform     DistributionType = "uniform"
	DistExponential DistributionType = "exponential"
	DistNormal      DistributionType = "normal"
	DistLogNormal   DistributionType = "lognormal"
	DistPareto      DistributionType = "pareto"
)

// DistributionTypes lists the supported distribution families.
func DistributionTypes() []DistributionType {
	return []DistributionType{DistFixed, DistUniform, DistExponential, DistNormal, DistLogNormal, DistPareto}
}

// Distribution is a random duration. Which parameters apply depends on
// Type; Max additionally caps every family (for uniform it is the upper
// bound). Sample defines the exact semantics.
type Distribution struct {
	Type   DistributionType `json:"distribution"`
	Value  *metav1.Duration `json:"value,omitempty"`
	Min    *metav1.Duration `json:"min,omitempty"`
	Max    *metav1.Duration `json:"max,omitempty"`
	Mean   *metav1.Duration `json:"mean,omitempty"`
	Stddev *metav1.Duration `json:"stddev,omitempty"`
	Median *metav1.Duration `json:"median,omitempty"`
	Sigma  *float64         `json:"sigma,omitempty"`
	Scale  *metav1.Duration `json:"scale,omitempty"`
	Shape  *float64         `json:"shape,omitempty"`
}

// Op is the API operation an injected error applies to.
type Op string

const (
	OpGet    Op = "get"
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpAny    Op = "any"
)

// Ops lists the supported operations.
func Ops() []Op { return []Op{OpGet, OpCreate, OpUpdate, OpAny} }

// ErrorKind is the error an injected failure returns.
type ErrorKind string

const (
	ErrorConflict        ErrorKind = "conflict"
	ErrorInternal        ErrorKind = "internal"
	ErrorUnavailable     ErrorKind = "unavailable"
	ErrorTooManyRequests ErrorKind = "tooManyRequests"
	ErrorTimeout         ErrorKind = "timeout"
)

// ErrorKinds lists the supported error kinds.
func ErrorKinds() []ErrorKind {
	return []ErrorKind{ErrorConflict, ErrorInternal, ErrorUnavailable, ErrorTooManyRequests, ErrorTimeout}
}

// ErrorRule injects an API error into a fraction of requests.
type ErrorRule struct {
	Op          Op               `json:"op"`
	Kind        ErrorKind        `json:"kind"`
	Probability *float64         `json:"probability,omitempty"`
	RetryAfter  *metav1.Duration `json:"retryAfter,omitempty"`
}

// RestartPolicy says what a node does when its process ends.
type RestartPolicy string

const (
	RestartAlways RestartPolicy = "Always"
	RestartNever  RestartPolicy = "Never"
)

// RestartPolicies lists the supported policies.
func RestartPolicies() []RestartPolicy { return []RestartPolicy{RestartAlways, RestartNever} }

// Restart is the restart configuration as written (spec level or a node
// override); NodeRestart resolves it.
type Restart struct {
	Policy RestartPolicy    `json:"policy,omitempty"`
	Delay  *metav1.Duration `json:"delay,omitempty"`
}

// RestartConfig is a node's resolved restart configuration.
type RestartConfig struct {
	Policy RestartPolicy
	Delay  time.Duration
}

// Identity says how a node's processes name themselves in the lease.
type Identity string

const (
	// IdentityPerProcess: node name plus a per-process suffix, as
	// Kubernetes components do (hostname + "_" + UUID).
	IdentityPerProcess Identity = "perProcess"
	// IdentityStable: the node name, the same for every process of the node,
	// so a restarted process takes its predecessor's lease over at once.
	IdentityStable Identity = "stable"
)

// Identities lists the supported identity modes.
func Identities() []Identity { return []Identity{IdentityStable, IdentityPerProcess} }

// Node is one machine running one elector process at a time.
type Node struct {
	Name     string          `json:"name"`
	Start    metav1.Duration `json:"start,omitzero"`
	Identity Identity        `json:"identity,omitempty"`
	Clock    *Clock          `json:"clock,omitempty"`
	Latency  *Latency        `json:"latency,omitempty"`
	Elector  *Elector        `json:"elector,omitempty"`
	Client   *Client         `json:"client,omitempty"`
	Restart  *Restart        `json:"restart,omitempty"`
	Jitter   *JitterRange    `json:"jitter,omitempty"`
}

// Clock is a node's clock as written.
type Clock struct {
	Rate     *float64        `json:"rate,omitempty"`
	Offset   metav1.Duration `json:"offset,omitzero"`
	Schedule []RateChange    `json:"schedule,omitempty"`
	RateBand *RateBand       `json:"rateBand,omitempty"`
}

// RateChange sets a node's clock rate from a true time on.
type RateChange struct {
	At   metav1.Duration `json:"at"`
	Rate *float64        `json:"rate,omitempty"`
}

// ClockConfig is a node's resolved clock: the rate from true time 0, the
// offset of its readings, and the scheduled rate changes in time order.
// clockRate and clockJump faults come on top.
type ClockConfig struct {
	Rate     float64
	Offset   time.Duration
	Schedule []RateStep
}

// RateStep is a resolved rate change.
type RateStep struct {
	At   time.Duration
	Rate float64
}

// FaultType names a kind of fault.
type FaultType string

const (
	FaultPartition  FaultType = "partition"
	FaultCrash      FaultType = "crash"
	FaultPause      FaultType = "pause"
	FaultStop       FaultType = "stop"
	FaultClockRate  FaultType = "clockRate"
	FaultClockJump  FaultType = "clockJump"
	FaultAPIOutage  FaultType = "apiOutage"
	FaultLatency    FaultType = "latency"
	FaultStaleReads FaultType = "staleReads"
)

// FaultTypes lists the supported fault types.
func FaultTypes() []FaultType {
	return []FaultType{FaultPartition, FaultCrash, FaultPause, FaultStop, FaultClockRate, FaultClockJump, FaultAPIOutage, FaultLatency, FaultStaleReads}
}

// FaultMode refines partition and apiOutage faults.
type FaultMode string

const (
	// ModeDropRequests: requests never reach the server and are never
	// answered.
	ModeDropRequests FaultMode = "drop-requests"
	// ModeDropResponses: requests are applied, their responses are lost.
	ModeDropResponses FaultMode = "drop-responses"
	// ModeRefuse: requests fail at once with a connection error, unapplied.
	ModeRefuse FaultMode = "refuse"
	// ModeHang: the server accepts requests and never answers them.
	ModeHang FaultMode = "hang"
)

// PartitionModes lists the modes a partition accepts.
func PartitionModes() []FaultMode {
	return []FaultMode{ModeDropRequests, ModeDropResponses, ModeRefuse}
}

// OutageModes lists the modes an API outage accepts.
func OutageModes() []FaultMode { return []FaultMode{ModeRefuse, ModeHang} }

// Fault is one scheduled fault. Which fields apply depends on Type (see
// SchemaDoc); the others must be absent.
type Fault struct {
	Type         FaultType        `json:"type"`
	At           metav1.Duration  `json:"at"`
	Duration     *metav1.Duration `json:"duration,omitempty"`
	Nodes        []string         `json:"nodes,omitempty"`
	Mode         FaultMode        `json:"mode,omitempty"`
	RestartAfter *metav1.Duration `json:"restartAfter,omitempty"`
	Rate         *float64         `json:"rate,omitempty"`
	Jump         *metav1.Duration `json:"jump,omitempty"`
	Request      *Distribution    `json:"request,omitempty"`
	Response     *Distribution    `json:"response,omitempty"`
	MaxLag       *metav1.Duration `json:"maxLag,omitempty"`
	AtMax        *metav1.Duration `json:"atMax,omitempty"`
	DurationMax  *metav1.Duration `json:"durationMax,omitempty"`
}

// End is the true time at which a windowed fault ends (At for an
// instantaneous one); with the envelope's ranges (atMax, durationMax), the
// latest it can end.
func (f *Fault) End() time.Duration {
	at := f.At.Duration
	if f.AtMax != nil {
		at = max(at, f.AtMax.Duration)
	}
	if f.Duration == nil {
		return at
	}
	d := f.Duration.Duration
	if f.DurationMax != nil {
		d = max(d, f.DurationMax.Duration)
	}
	return at + d
}

// RestartDelay is a crash fault's restartAfter, nil when it is not set
// (the node's restart policy decides).
func (f *Fault) RestartDelay() *time.Duration {
	if f.RestartAfter == nil {
		return nil
	}
	d := f.RestartAfter.Duration
	return &d
}

// Workload is the work a leader does: a write to a protected object every
// Period while it leads.
type Workload struct {
	Period  *metav1.Duration `json:"period,omitempty"`
	Fencing bool             `json:"fencing,omitempty"`
	Drain   metav1.Duration  `json:"drain,omitzero"`
}

// Expect holds the bounds a run is checked against. Absent bounds are not
// checked, except liveness: RequireLeader absent means true.
type Expect struct {
	RequireLeader          *bool            `json:"requireLeader,omitempty"`
	MaxTimeToFirstLeader   *metav1.Duration `json:"maxTimeToFirstLeader,omitempty"`
	MaxRecovery            *metav1.Duration `json:"maxRecovery,omitempty"`
	MaxOverlap             *metav1.Duration `json:"maxOverlap,omitempty"`
	MaxLeaderless          *metav1.Duration `json:"maxLeaderless,omitempty"`
	MaxFailover            *metav1.Duration `json:"maxFailover,omitempty"`
	MaxSpuriousTransitions *int             `json:"maxSpuriousTransitions,omitempty"`
	MaxUnsafeWrites        *int             `json:"maxUnsafeWrites,omitempty"`
}

// IsSet says the scenario writes spec.expect. Without it a run is still
// judged: requireLeader defaults to true.
func (x Expect) IsSet() bool { return !reflect.ValueOf(x).IsZero() }

// LeaderRequired is requireLeader with its default, true.
func (x Expect) LeaderRequired() bool { return x.RequireLeader == nil || *x.RequireLeader }
