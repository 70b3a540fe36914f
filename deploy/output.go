package deploy

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// YAML renders objects as one YAML stream, "---" between documents, with
// the metadata the server fills in for itself (managedFields) left out.
func YAML(objs ...*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		b, err := yaml.Marshal(Clean(o).Object)
		if err != nil {
			return nil, fmt.Errorf("deploy: yaml of %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// Clean returns a copy of o without managedFields.
func Clean(o *unstructured.Unstructured) *unstructured.Unstructured {
	c := o.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	return c
}
