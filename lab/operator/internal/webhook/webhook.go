// Package webhook holds the raw validating admission handlers of the reference operator.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/vitistack/common/pkg/v1alpha1"

	"github.com/vitistack/vitictl/lab/operator/internal/simulate"
)

// DenyAnnotation: an object carrying it is denied (any kind) with the annotation's value as the
// message — a way to exercise the deny path on kinds without real rules.
const DenyAnnotation = "lab.vitictl.io/deny"

// Path is the webhook path for a kind: /validate-machine, /validate-vitistack, ...
func Path(kind string) string { return "/validate-" + strings.ToLower(kind) }

// Validator validates one kind. Latency, if set, is slept before answering (simulated cost).
type Validator struct {
	Kind    string
	Latency simulate.Distribution
}

var _ admission.Handler = &Validator{}

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	if v.Latency != nil {
		if err := simulate.Sleep(ctx, v.Latency.Sample()); err != nil {
			return admission.Errored(http.StatusServiceUnavailable, err)
		}
	}
	if req.Operation == admissionv1.Delete || req.Operation == admissionv1.Connect || len(req.Object.Raw) == 0 {
		return admission.Allowed("")
	}
	var obj map[string]any
	if err := json.Unmarshal(req.Object.Raw, &obj); err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decode %s: %w", v.Kind, err))
	}
	if problems := Validate(v.Kind, obj); len(problems) > 0 {
		return admission.Denied(fmt.Sprintf("%s is invalid: %s", v.Kind, strings.Join(problems, "; ")))
	}
	return admission.Allowed("")
}

// Validate returns the reasons an object must be denied (none: allowed).
func Validate(kind string, obj map[string]any) []string {
	var problems []string
	if md, ok := obj["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			if msg, ok := ann[DenyAnnotation].(string); ok {
				problems = append(problems, fmt.Sprintf("annotation %s: %s", DenyAnnotation, msg))
			}
		}
	}
	if kind != "Machine" {
		return problems
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return problems
	}
	if m, ok := spec["memory"]; ok && m != nil {
		if n, err := number(m); err != nil {
			problems = append(problems, "spec.memory: "+err.Error())
		} else if n < 0 {
			problems = append(problems, fmt.Sprintf("spec.memory must be >= 0 bytes, got %s", fmtNum(n)))
		}
	}
	if cpu, ok := spec["cpu"].(map[string]any); ok {
		if c, ok := cpu["cores"]; ok && c != nil {
			if n, err := number(c); err != nil {
				problems = append(problems, "spec.cpu.cores: "+err.Error())
			} else if n < 0 {
				problems = append(problems, fmt.Sprintf("spec.cpu.cores must be >= 0, got %s", fmtNum(n)))
			}
		}
	}
	if p, ok := spec["provider"]; ok && p != nil {
		s, isStr := p.(string)
		if !isStr || !v1alpha1.MachineProviderType(s).IsValid() {
			problems = append(problems, fmt.Sprintf("spec.provider %v is not a supported machine provider (%s)", p,
				strings.Join(v1alpha1.MachineProviderTypeValues(), ", ")))
		}
	}
	if osSpec, ok := spec["os"].(map[string]any); ok {
		if a, ok := osSpec["architecture"]; ok && a != nil {
			s, isStr := a.(string)
			switch {
			case !isStr:
				problems = append(problems, fmt.Sprintf("spec.os.architecture must be a string, got %v", a))
			case s == "", s == "amd64", s == "arm64", s == "x86_64":
			default:
				problems = append(problems, fmt.Sprintf("spec.os.architecture %q is not one of amd64, arm64, x86_64", s))
			}
		}
	}
	return problems
}

// number reads a JSON number, or a string holding a number or a Kubernetes quantity.
func number(v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		return t, nil
	case json.Number:
		return t.Float64()
	case string:
		q, err := resource.ParseQuantity(strings.TrimSpace(t))
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", t)
		}
		return q.AsApproximateFloat64(), nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}
