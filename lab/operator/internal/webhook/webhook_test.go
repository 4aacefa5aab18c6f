package webhook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

func machine(spec string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(`{"metadata":{"name":"m"},"spec":`+spec+`}`), &m); err != nil {
		panic(err)
	}
	return m
}

func TestValidateMachine(t *testing.T) {
	allowed := []string{`{}`, `{"memory":0}`, `{"memory":4294967296,"cpu":{"cores":4},"os":{"architecture":"arm64"}}`,
		`{"os":{"architecture":""}}`, `{"os":{"architecture":"x86_64"}}`, `{"memory":"4Gi"}`, `{"memory":null}`,
		`{"provider":"kubevirt"}`, `{"provider":"proxmox"}`}
	for _, s := range allowed {
		if p := Validate("Machine", machine(s)); len(p) != 0 {
			t.Errorf("%s denied: %v", s, p)
		}
	}
	denied := map[string]string{
		`{"memory":-1}`:                     "spec.memory must be >= 0",
		`{"cpu":{"cores":-2}}`:              "spec.cpu.cores must be >= 0",
		`{"os":{"architecture":"riscv64"}}`: `"riscv64" is not one of amd64, arm64, x86_64`,
		`{"memory":"lots"}`:                 "spec.memory:",
		`{"os":{"architecture":5}}`:         "must be a string",
		`{"provider":"vmware"}`:             "spec.provider vmware is not a supported machine provider (kubevirt, proxmox)",
	}
	for s, want := range denied {
		p := Validate("Machine", machine(s))
		if len(p) == 0 || !strings.Contains(strings.Join(p, ";"), want) {
			t.Errorf("%s: %v, want %q", s, p, want)
		}
	}
	if p := Validate("Vitistack", machine(`{"memory":-1}`)); len(p) != 0 {
		t.Errorf("Vitistack has no memory rule: %v", p)
	}
	obj := machine(`{}`)
	obj["metadata"].(map[string]any)["annotations"] = map[string]any{DenyAnnotation: "testing"}
	if p := Validate("Vitistack", obj); len(p) != 1 {
		t.Errorf("deny annotation: %v", p)
	}
}

func TestHandle(t *testing.T) {
	v := &Validator{Kind: "Machine"}
	req := func(op admissionv1.Operation, raw string) admission.Request {
		return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID: "u1", Operation: op, Object: runtime.RawExtension{Raw: []byte(raw)}}}
	}
	r := v.Handle(context.Background(), req(admissionv1.Create, `{"spec":{"memory":-1}}`))
	if r.Allowed || r.Result == nil || !strings.Contains(r.Result.Message, "spec.memory must be >= 0 bytes, got -1") {
		t.Errorf("want denial, got %+v", r)
	}
	if r := v.Handle(context.Background(), req(admissionv1.Update, `{"spec":{"memory":1}}`)); !r.Allowed {
		t.Errorf("want allowed, got %+v", r.Result)
	}
	if r := v.Handle(context.Background(), req(admissionv1.Delete, ``)); !r.Allowed {
		t.Error("DELETE should be allowed")
	}
	if r := v.Handle(context.Background(), req(admissionv1.Create, `{not json`)); r.Allowed || r.Result.Code != 400 {
		t.Errorf("bad JSON: %+v", r.Result)
	}
}
