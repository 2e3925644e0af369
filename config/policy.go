// Package config reads kimiscale's policy file: YAML (or JSON) holding the
// fields of core.Policy under their JSON names, decoded over the seed design
// and validated by core.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/kimiclaw/kimiscale/core"
	"sigs.k8s.io/yaml"
)

// maxPolicySize bounds a policy file: the seed written out with comments is
// a few kilobytes, so anything near this is not a policy.
const maxPolicySize = 1 << 20

// LoadPolicy reads the policy file at path (YAML or JSON) and returns the
// policy it describes. Fields the file leaves out keep the seed's values
// (core.DefaultPolicy); a list it gives replaces the seed's list (see
// core.DecodePolicy). Every error starts with the file's path, and a file
// with several problems lists them all, one per line:
//
//	policy file /x/p.yaml: metrics[0].scaleUpAbove: 70 is out of range; ...
func LoadPolicy(path string) (core.Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return core.Policy{}, fmt.Errorf("policy file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return core.Policy{}, fmt.Errorf("policy file: %w", err)
	}
	if st.IsDir() {
		return core.Policy{}, fmt.Errorf("policy file %s: is a directory; valid: a YAML or JSON file", path)
	}
	if st.Size() > maxPolicySize {
		return core.Policy{}, fmt.Errorf("policy file %s: %d bytes is too large for a policy; valid: at most %d bytes", path, st.Size(), maxPolicySize)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return core.Policy{}, fmt.Errorf("policy file %s: %w", path, err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return core.Policy{}, &FileError{Path: path, Err: err}
	}
	return p, nil
}

// ParsePolicy parses a policy from YAML or JSON (JSON is YAML) and
// validates it; see LoadPolicy. Duplicate keys are an error, as YAML
// forbids them.
func ParsePolicy(data []byte) (core.Policy, error) {
	if len(data) > maxPolicySize {
		return core.Policy{}, fmt.Errorf("%d bytes is too large for a policy; valid: at most %d bytes", len(data), maxPolicySize)
	}
	empty := errors.New("policy is empty; valid: the fields to change, e.g. \"maxReplicas: 12\" (omit the policy file to use the seed)")
	if strings.TrimSpace(string(data)) == "" {
		return core.Policy{}, empty
	}
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, "unmarshal errors:\n  ", ""), "\n  ", "; ")
		return core.Policy{}, fmt.Errorf("policy is not valid YAML: %s", msg)
	}
	if strings.TrimSpace(string(j)) == "null" {
		return core.Policy{}, empty // only comments, or "---"
	}
	return core.DecodePolicy(j)
}

// FileError is an error in a policy file. Its message starts with the file's
// path; when the policy has several problems, each goes on its own line.
type FileError struct {
	Path string
	Err  error
}

// Error implements error.
func (e *FileError) Error() string {
	var many interface{ Unwrap() []error }
	if errors.As(e.Err, &many) {
		if errs := many.Unwrap(); len(errs) > 1 {
			var b strings.Builder
			fmt.Fprintf(&b, "policy file %s: %d problems:", e.Path, len(errs))
			for _, err := range errs {
				b.WriteString("\n  ")
				b.WriteString(err.Error())
			}
			return b.String()
		}
	}
	return fmt.Sprintf("policy file %s: %v", e.Path, e.Err)
}

// Unwrap returns the policy's error, so errors.As finds its
// *core.FieldError values.
func (e *FileError) Unwrap() error { return e.Err }
