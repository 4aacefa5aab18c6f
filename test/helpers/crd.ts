/**
 * A namespaced CRD Widget (example.com/v1) whose spec schema is `spec`: YAML lines of the spec node,
 * written as they stand below `spec:` (its first line is on line 17 of the file, column 15).
 */
export function widgetCrd(spec: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              ${spec.split('\n').join('\n              ')}
`;
}
