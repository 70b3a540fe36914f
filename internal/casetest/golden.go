package casetest

import (
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Golden renders the observed exchanges, the content of a golden file.
func Golden(results []Result) ([]byte, error) {
	type entry struct {
		Name     string   `json:"name"`
		Observed Observed `json:"observed"`
	}
	var es []entry
	for _, r := range results {
		es = append(es, entry{r.Name, r.Observed})
	}
	return yaml.Marshal(es)
}

// Diff returns a line diff of want and got ("" when equal): lines only in
// want start with "-", lines only in got with "+".
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// Longest common subsequence, then walk it.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&out, "+ %s\n", b[j])
			j++
		default:
			fmt.Fprintf(&out, "- %s\n", a[i])
			i++
		}
	}
	return out.String()
}
