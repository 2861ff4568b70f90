package config

// The configuration's string choices, as types: a value is one of the
// constants below once Validate has passed.

// Transport is how a camera's RTP travels (Camera.Transport).
type Transport string

// Camera transports.
const (
	TransportTCP  Transport = "tcp"
	TransportUDP  Transport = "udp"
	TransportAuto Transport = "auto"
)

// EvidenceKind is where evidence goes (Evidence.Kind).
type EvidenceKind string

// Evidence stores.
const (
	EvidenceS3  EvidenceKind = "s3"
	EvidenceDir EvidenceKind = "dir"
)

// Backend runs the model (Model.Backend).
type Backend string

// Model backends.
const (
	BackendONNXRuntime Backend = "onnxruntime"
	BackendOpenCV      Backend = "opencv"
)

// SASLMechanism is the Kafka SASL mechanism (SASL.Mechanism; "" is off).
type SASLMechanism string

// SASL mechanisms.
const (
	SASLPlain       SASLMechanism = "PLAIN"
	SASLScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	SASLScramSHA512 SASLMechanism = "SCRAM-SHA-512"
)
