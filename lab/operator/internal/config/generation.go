package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// HashAbsent and HashUnknown are the generation hashes of a process that runs on defaults
// because the ConfigMap (or its key) is absent, or because it could not be read.
const (
	HashAbsent  = "absent"
	HashUnknown = "unknown"
)

// Snapshot is what the process read at start-up: the raw performance.yaml and the ConfigMap's
// resourceVersion ("" when absent).
type Snapshot struct {
	Content         string
	Found           bool
	ResourceVersion string
}

// Hash names the content a process runs with: the first 16 hex digits of the SHA-256 of the raw
// performance.yaml. A client that applied a ConfigMap computes the same value from what it sent, so
// it can tell from the metrics alone when the operator has taken exactly that content (the
// resourceVersion alone cannot: the client does not know it before its write returns, and a
// restore may write content seen before).
func Hash(content string, found bool) string {
	if !found {
		return HashAbsent
	}
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])[:16]
}

// Generation is the gauge value for a snapshot: the ConfigMap's resourceVersion when it is a
// number (etcd's revision, in practice), else 0. It only moves forward as the ConfigMap changes.
func (s Snapshot) Generation() float64 {
	if !s.Found || s.ResourceVersion == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s.ResourceVersion, 64)
	if err != nil {
		return 0
	}
	return v
}
